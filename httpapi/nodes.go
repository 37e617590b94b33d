package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ackscale/ackscale"
)

// nodeStates are the values DescribeClusterNodes's state filter accepts.
var nodeStates = []string{"all", "running", "removing", "initial", "failed", "starting", "pending", "stopping", "stopped"}

func (s *Server) describeClusterNodes(ctx context.Context, r *request) (response, error) {
	c, err := s.cfg.Store.ClusterGet(ctx, r.account.ID, r.params["id"])
	if err != nil {
		return response{}, err
	}
	q := r.URL.Query()
	pg, err := pageParams(q.Get("pageNumber"), q.Get("pageSize"), "pageNumber", "pageSize", 10, 100)
	if err != nil {
		return response{}, err
	}
	state := q.Get("state")
	if state != "" && !slices.Contains(nodeStates, state) {
		return response{}, ackscale.FieldErrorf(ackscale.CodeNotInEnum, "state", "state: %q is not one of %s",
			state, strings.Join(nodeStates, ", "))
	}
	if state == "pending" {
		state = ackscale.NodeInitial
	}
	p := ackscale.WorkerListParams{ClusterID: c.ID, State: state, Offset: (pg.number - 1) * pg.size, Limit: pg.size}
	if ids := q.Get("instanceIds"); ids != "" {
		p.InstanceIDs = strings.Split(ids, ",")
	}
	ws, total, err := s.cfg.Store.WorkersByCluster(ctx, p)
	if err != nil {
		return response{}, err
	}
	nodes := make([]nodeView, 0, len(ws))
	for _, w := range ws {
		nodes = append(nodes, newNodeView(w))
	}
	return response{status: http.StatusOK, body: map[string]any{"nodes": nodes,
		"page": map[string]int{"page_number": pg.number, "page_size": pg.size, "total_count": total}}}, nil
}

func (s *Server) describeKubeconfig(ctx context.Context, r *request) (response, error) {
	c, err := s.cfg.Store.ClusterGet(ctx, r.account.ID, r.params["id"])
	if err != nil {
		return response{}, err
	}
	q := r.URL.Query()
	minutes := 3 * 365 * 24 * 60
	if v := q.Get("TemporaryDurationMinutes"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 15 || n > 4320 {
			return response{}, ackscale.FieldErrorf(ackscale.CodeOutOfRange, "TemporaryDurationMinutes",
				"TemporaryDurationMinutes: %q is not an integer in [15, 4320]", v)
		}
		minutes = n
	}
	if v := q.Get("PrivateIpAddress"); v != "" && v != "true" && v != "false" {
		return response{}, ackscale.FieldErrorf(ackscale.CodeInvalidType, "PrivateIpAddress", "PrivateIpAddress: %q is not true or false", v)
	}
	if s.cfg.Kube == nil || c.APIServer == "" {
		return response{}, ackscale.Errorf(ackscale.CodeClusterState,
			"cluster %s has no API server: ackscale runs with --kube=off (start it with --kube=on to get kubeconfigs)", c.ID)
	}
	cfg, err := s.cfg.Kube.Kubeconfig(c.ID)
	if err != nil {
		return response{}, err
	}
	exp := s.cfg.Now().Add(time.Duration(minutes) * time.Minute).Format("2006-01-02T15:04:05Z")
	return response{status: http.StatusOK, body: map[string]string{"config": string(cfg), "expiration": exp}}, nil
}
