package httpapi

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/rules"
)

// jsonBody returns the request body for decoding, refusing media types that
// are not JSON. The old Go SDK sends application/octet-stream when the caller
// sets no content type, so that (and none) is read as JSON too.
func jsonBody(r *request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" || len(r.body) == 0 {
		return r.body, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, ackscale.Errorf(ackscale.CodeUnsupportedMedia, "Content-Type %q cannot be parsed", ct)
	}
	switch mt {
	case "application/json", "application/octet-stream", "text/json":
		return r.body, nil
	}
	return nil, ackscale.Errorf(ackscale.CodeUnsupportedMedia, "Content-Type %s is not supported; send application/json", mt)
}

func (s *Server) createCluster(ctx context.Context, r *request) (response, error) {
	body, err := jsonBody(r)
	if err != nil {
		return response{}, err
	}
	spec, err := rules.CreateCluster(body, s.cfg.Cloud)
	if err != nil {
		return response{}, err
	}
	if spec.Runtime.Version == "" {
		spec.Runtime.Version = s.cfg.Cloud.DefaultRuntimeVersion(spec.Runtime.Name)
	}
	now := s.cfg.Now()
	c := ackscale.Cluster{
		ID: ackscale.NewClusterID(), AccountID: r.account.ID, Spec: spec, State: ackscale.ClusterInitial,
		Profile: ackscale.ProfileOf(spec.ClusterType, spec.Profile, spec.Runtime.Name), Created: now, Updated: now,
	}
	if spec.LoginPassword != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(spec.LoginPassword), s.bcryptCost())
		if err != nil {
			return response{}, fmt.Errorf("hash password: %w", err)
		}
		c.PasswordHash, c.Spec.LoginPassword = string(hash), ""
	}
	t := s.newTask(r, c.ID, ackscale.TaskCreateCluster, spec.TimeoutMins)
	if spec.NumOfNodes > 0 {
		t.Params.ScaleOut = initialWorkers(spec)
	}
	if err := s.cfg.Store.ClusterCreate(ctx, c, t); err != nil {
		return response{}, err
	}
	r.log.Info("cluster created", "cluster_id", c.ID, "task_id", t.ID, "profile", c.Profile)
	return accepted(c.ID, r.id, t.ID), nil
}

func (s *Server) bcryptCost() int {
	if s.cfg.BcryptCost > 0 {
		return s.cfg.BcryptCost
	}
	return bcrypt.DefaultCost
}

// initialWorkers is the scale-out a create body's legacy worker fields ask for.
func initialWorkers(spec ackscale.ClusterSpec) *ackscale.ScaleOut {
	return &ackscale.ScaleOut{
		Count: spec.NumOfNodes, InstanceTypes: spec.WorkerInstanceTypes, VSwitchIDs: spec.VSwitchIDs,
		ImageID: spec.WorkerImageID, SystemDiskCategory: spec.WorkerSystemDiskCategory,
		SystemDiskSizeGiB: spec.WorkerSystemDiskSizeGiB, KeyPair: spec.KeyPair, HasPassword: spec.LoginPassword != "",
		TimeoutMins: spec.TimeoutMins, DisableRollback: true, ChargeType: "PostPaid",
	}
}

// newTask returns a running task of the account, with its validate stage
// done and its deadline set.
func (s *Server) newTask(r *request, clusterID, typ string, timeoutMins int) ackscale.Task {
	now := s.cfg.Now()
	if timeoutMins <= 0 {
		timeoutMins = 60
	}
	return ackscale.Task{
		ID: ackscale.NewTaskID(), AccountID: r.account.ID, ClusterID: clusterID, Type: typ, State: ackscale.TaskRunning,
		CurrentStage: "validate", Created: now, Updated: now,
		Params: ackscale.TaskParams{Deadline: now.Add(time.Duration(float64(timeoutMins) * float64(time.Minute) / s.cfg.TimeScale))},
		Stages: []ackscale.TaskStage{{Name: "validate", State: ackscale.TaskSuccess, Start: now, End: now}},
		Events: []ackscale.TaskEvent{{Action: "validate", Level: "Normal", Reason: "Accepted",
			Message: "request " + r.id + " accepted", Source: "ackscale", Timestamp: now}},
	}
}

// accepted is the answer of every asynchronous operation (ruling 1).
func accepted(clusterID, requestID, taskID string) response {
	return response{status: http.StatusAccepted, body: map[string]string{
		"cluster_id": clusterID, "request_id": requestID, "task_id": taskID}}
}

func (s *Server) describeCluster(ctx context.Context, r *request) (response, error) {
	c, err := s.cfg.Store.ClusterGet(ctx, r.account.ID, r.params["id"])
	if err != nil {
		return response{}, err
	}
	n, err := s.cfg.Store.WorkersCount(ctx, c.ID)
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: newClusterView(c, n)}, nil
}

func (s *Server) listClusters(ctx context.Context, p ackscale.ClusterListParams) ([]clusterView, int, error) {
	cs, total, err := s.cfg.Store.ClusterList(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	views := make([]clusterView, 0, len(cs))
	for _, c := range cs {
		n, err := s.cfg.Store.WorkersCount(ctx, c.ID)
		if err != nil {
			return nil, 0, err
		}
		views = append(views, newClusterView(c, n))
	}
	return views, total, nil
}

func (s *Server) describeClustersV1(ctx context.Context, r *request) (response, error) {
	q := r.URL.Query()
	page, err := pageParams(q.Get("page_number"), q.Get("page_size"), "page_number", "page_size", 10, 100)
	if err != nil {
		return response{}, err
	}
	p := ackscale.ClusterListParams{AccountID: r.account.ID, ClusterID: q.Get("cluster_id"), Name: q.Get("name"),
		ClusterType: q.Get("cluster_type"), Profile: q.Get("profile"), RegionID: q.Get("region_id"),
		Offset: (page.number - 1) * page.size, Limit: page.size}
	views, total, err := s.listClusters(ctx, p)
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: map[string]any{"clusters": views,
		"page_info": map[string]int{"page_number": page.number, "page_size": page.size, "total_count": total}}}, nil
}

func (s *Server) describeClusters(ctx context.Context, r *request) (response, error) {
	q := r.URL.Query()
	views, _, err := s.listClusters(ctx, ackscale.ClusterListParams{AccountID: r.account.ID, Name: q.Get("name"),
		ClusterType: q.Get("clusterType")})
	if err != nil {
		return response{}, err
	}
	for i := range views {
		views[i].DataDiskCategory, views[i].DataDiskSize = "cloud_efficiency", 0
	}
	return response{status: http.StatusOK, body: views}, nil
}

type page struct{ number, size int }

// pageParams parses paging query parameters with their bounds.
func pageParams(numStr, sizeStr, numName, sizeName string, defSize, maxSize int) (page, error) {
	p := page{number: 1, size: defSize}
	var err error
	if numStr != "" {
		if p.number, err = strconv.Atoi(strings.TrimSpace(numStr)); err != nil || p.number < 1 {
			return p, ackscale.FieldErrorf(ackscale.CodeOutOfRange, numName, "%s: %q is not an integer >= 1", numName, numStr)
		}
	}
	if sizeStr != "" {
		if p.size, err = strconv.Atoi(strings.TrimSpace(sizeStr)); err != nil || p.size < 1 || p.size > maxSize {
			return p, ackscale.FieldErrorf(ackscale.CodeOutOfRange, sizeName, "%s: %q is not an integer in [1, %d]", sizeName, sizeStr, maxSize)
		}
	}
	return p, nil
}

func (s *Server) deleteCluster(ctx context.Context, r *request) (response, error) {
	c, err := s.cfg.Store.ClusterGet(ctx, r.account.ID, r.params["id"])
	if err != nil {
		return response{}, err
	}
	if c.Spec.DeletionProtection {
		return response{}, ackscale.Errorf(ackscale.CodeClusterState, "cluster %s has deletion_protection on", c.ID)
	}
	t := s.newTask(r, c.ID, ackscale.TaskDeleteCluster, 60)
	from := c.State
	if from != ackscale.ClusterRunning && from != ackscale.ClusterFailed && from != ackscale.ClusterDeleteFailed {
		return response{}, ackscale.Errorf(ackscale.CodeClusterState, "cluster %s is %s; it can be deleted when running, failed or delete_failed", c.ID, from)
	}
	if err := s.cfg.Store.TaskStart(ctx, ackscale.TaskStartParams{Task: t, FromState: from, ToState: ackscale.ClusterDeleting}); err != nil {
		return response{}, err
	}
	return accepted(c.ID, r.id, t.ID), nil
}
