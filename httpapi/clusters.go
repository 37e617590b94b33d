package httpapi

import (
	"context"
	"mime"
	"net/http"
	"strings"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/ops"
)

// jsonBody returns the request body for decoding, refusing media types that
// are not JSON and charsets that are not UTF-8. The old Go SDK sends
// application/octet-stream when the caller sets no content type, so that
// (and none) is read as JSON too; darabonba sends "application/json;
// charset=utf-8".
func jsonBody(r *request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" || len(r.body) == 0 {
		return r.body, nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, ackscale.Errorf(ackscale.CodeUnsupportedMedia, "Content-Type %q cannot be parsed", ct)
	}
	switch mt {
	case "application/json", "application/octet-stream", "text/json":
	default:
		return nil, ackscale.Errorf(ackscale.CodeUnsupportedMedia, "Content-Type %s is not supported; send application/json", mt)
	}
	// JSON is UTF-8 (RFC 8259 §8.1); a body declared in another charset
	// would be misread, not converted.
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return nil, ackscale.Errorf(ackscale.CodeUnsupportedMedia,
			"Content-Type %q: charset %q is not supported; send UTF-8 (charset=utf-8, or no charset)", ct, cs)
	}
	return r.body, nil
}

// bodyOp is an operation on a cluster (or none, "") that takes a JSON body.
type bodyOp func(ctx context.Context, c ops.Caller, clusterID string, body []byte) (ops.Accepted, error)

// accept decodes the JSON body, runs op and answers 202 with the task.
func (s *Server) accept(ctx context.Context, r *request, op bodyOp) (response, error) {
	body, err := jsonBody(r)
	if err != nil {
		return response{}, err
	}
	a, err := op(ctx, r.caller(), r.PathValue("id"), body)
	if err != nil {
		return response{}, err
	}
	return accepted(a, r.id), nil
}

// accepted is the answer of every asynchronous operation (ruling 1).
func accepted(a ops.Accepted, requestID string) response {
	return response{status: http.StatusAccepted, body: map[string]string{
		"cluster_id": a.ClusterID, "request_id": requestID, "task_id": a.TaskID}}
}

func (s *Server) createCluster(ctx context.Context, r *request) (response, error) {
	return s.accept(ctx, r, func(ctx context.Context, c ops.Caller, _ string, body []byte) (ops.Accepted, error) {
		return s.cfg.Ops.CreateCluster(ctx, c, body)
	})
}

func (s *Server) scaleOutCluster(ctx context.Context, r *request) (response, error) {
	return s.accept(ctx, r, s.cfg.Ops.ScaleOut)
}

func (s *Server) scaleCluster(ctx context.Context, r *request) (response, error) {
	return s.accept(ctx, r, s.cfg.Ops.Scale)
}

// removeNodes serves DeleteClusterNodes and the deprecated
// RemoveClusterNodes (whose answer the SDKs ignore; it gets the same).
func (s *Server) removeNodes(ctx context.Context, r *request) (response, error) {
	return s.accept(ctx, r, s.cfg.Ops.RemoveNodes)
}

func (s *Server) deleteCluster(ctx context.Context, r *request) (response, error) {
	a, err := s.cfg.Ops.DeleteCluster(ctx, r.caller(), r.PathValue("id"))
	if err != nil {
		return response{}, err
	}
	return accepted(a, r.id), nil
}

func (s *Server) describeCluster(ctx context.Context, r *request) (response, error) {
	c, err := s.cfg.Ops.DescribeCluster(ctx, r.caller(), r.PathValue("id"))
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: newClusterView(c)}, nil
}

func (s *Server) describeClustersV1(ctx context.Context, r *request) (response, error) {
	q := r.URL.Query()
	list, err := s.cfg.Ops.ListClusters(ctx, r.caller(), ops.ClusterListParams{ClusterID: q.Get("cluster_id"),
		Name: q.Get("name"), ClusterType: q.Get("cluster_type"), Profile: q.Get("profile"), RegionID: q.Get("region_id"),
		Page: ops.PageParams{Number: q.Get("page_number"), Size: q.Get("page_size"), NumberName: "page_number",
			SizeName: "page_size", DefaultSize: 10, MaxSize: 100}})
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: map[string]any{"clusters": clusterViews(list.Clusters),
		"page_info": map[string]int{"page_number": list.Page.Number, "page_size": list.Page.Size, "total_count": list.Total}}}, nil
}

func (s *Server) describeClusters(ctx context.Context, r *request) (response, error) {
	q := r.URL.Query()
	list, err := s.cfg.Ops.ListClusters(ctx, r.caller(), ops.ClusterListParams{Name: q.Get("name"), ClusterType: q.Get("clusterType")})
	if err != nil {
		return response{}, err
	}
	views := clusterViews(list.Clusters)
	for i := range views {
		views[i].DataDiskCategory, views[i].DataDiskSize = "cloud_efficiency", 0
	}
	return response{status: http.StatusOK, body: views}, nil
}
