package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/ackscale/ackscale/ops"
)

func (s *Server) describeClusterNodes(ctx context.Context, r *request) (response, error) {
	q := r.URL.Query()
	p := ops.NodeListParams{ClusterID: r.PathValue("id"), State: q.Get("state"), NodePoolID: q.Get("nodepool_id"),
		Page: ops.PageParams{Number: q.Get("pageNumber"), Size: q.Get("pageSize"), NumberName: "pageNumber",
			SizeName: "pageSize", DefaultSize: 10, MaxSize: 100}}
	if ids := q.Get("instanceIds"); ids != "" {
		p.InstanceIDs = strings.Split(ids, ",")
	}
	list, err := s.cfg.Ops.ListNodes(ctx, r.caller(), p)
	if err != nil {
		return response{}, err
	}
	nodes := make([]nodeView, 0, len(list.Nodes))
	for _, w := range list.Nodes {
		nodes = append(nodes, newNodeView(w))
	}
	return response{status: http.StatusOK, body: map[string]any{"nodes": nodes,
		"page": map[string]int{"page_number": list.Page.Number, "page_size": list.Page.Size, "total_count": list.Total}}}, nil
}

func (s *Server) describeKubeconfig(ctx context.Context, r *request) (response, error) {
	q := r.URL.Query()
	kc, err := s.cfg.Ops.Kubeconfig(ctx, r.caller(), ops.KubeconfigParams{ClusterID: r.PathValue("id"),
		TemporaryDurationMinutes: q.Get("TemporaryDurationMinutes"), PrivateIPAddress: q.Get("PrivateIpAddress")})
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: map[string]string{"config": string(kc.Config),
		"expiration": kc.Expiration.Format("2006-01-02T15:04:05Z")}}, nil
}
