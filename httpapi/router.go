package httpapi

import (
	"context"
	"net/http"

	"github.com/ackscale/ackscale"
)

// operation is one route of the CS API: its ACK name and its handler
// (s.kept(h) for the reads whose answers are kept, answers.go).
type operation struct {
	name   string
	handle handlerFunc
}

// routes maps each operation's method and path to it, with Go's ServeMux
// patterns. The mux only routes: its handler records the operation, and
// ServeHTTP runs it after the signature and throttling checks. Path values
// ({id}) match one escaped segment, so /clusters/X%2Fnodes is cluster
// "X/nodes", not DescribeClusterNodes.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range []struct {
		pattern string
		op      operation
	}{
		{"POST /clusters", operation{"CreateCluster", s.createCluster}},
		{"GET /clusters", operation{"DescribeClusters", s.describeClusters}},
		{"GET /api/v1/clusters", operation{"DescribeClustersV1", s.describeClustersV1}},
		{"GET /clusters/{id}", operation{"DescribeClusterDetail", s.kept(s.describeCluster)}},
		{"DELETE /clusters/{id}", operation{"DeleteCluster", s.deleteCluster}},
		{"PUT /clusters/{id}", operation{"ScaleCluster", s.scaleCluster}},
		{"POST /api/v2/clusters/{id}", operation{"ScaleOutCluster", s.scaleOutCluster}},
		{"GET /clusters/{id}/nodes", operation{"DescribeClusterNodes", s.kept(s.describeClusterNodes)}},
		{"POST /clusters/{id}/nodes", operation{"DeleteClusterNodes", s.removeNodes}},
		{"POST /api/v2/clusters/{id}/nodes/remove", operation{"RemoveClusterNodes", s.removeNodes}},
		{"POST /clusters/{id}/nodepools", operation{"CreateClusterNodePool", s.createNodePool}},
		{"GET /clusters/{id}/nodepools", operation{"DescribeClusterNodePools", s.describeNodePools}},
		{"GET /clusters/{id}/nodepools/{np}", operation{"DescribeClusterNodePoolDetail", s.describeNodePool}},
		{"PUT /clusters/{id}/nodepools/{np}", operation{"ModifyClusterNodePool", s.modifyNodePool}},
		{"POST /clusters/{id}/nodepools/{np}", operation{"ScaleClusterNodePool", s.scaleNodePool}},
		{"DELETE /clusters/{id}/nodepools/{np}", operation{"DeleteClusterNodepool", s.deleteNodePool}},
		{"DELETE /clusters/{id}/nodepools/{np}/nodes", operation{"RemoveNodePoolNodes", s.removeNodePoolNodes}},
		{"GET /tasks/{id}", operation{"DescribeTaskInfo", s.kept(s.describeTaskInfo)}},
		{"GET /k8s/{id}/user_config", operation{"DescribeClusterUserKubeconfig", s.describeKubeconfig}},
		{"GET /api/v2/k8s/{id}/user_config", operation{"DescribeClusterV2UserKubeconfig", s.describeKubeconfig}},
		{"GET /clusters/{id}/resources", operation{"DescribeClusterResources", s.describeClusterResources}},
		{"GET /clusters/{id}/controlplanelog", operation{"CheckControlPlaneLogEnable", s.checkControlPlaneLog}},
		{"GET /clusters/{id}/logs", operation{"DescribeClusterLogs", s.describeClusterLogs}},
		{"GET /clusters/{id}/certs", operation{"DescribeClusterCerts", s.describeClusterCerts}},
		{"GET /clusters/{id}/tasks", operation{"DescribeClusterTasks", s.describeClusterTasks}},
		{"GET /regions/{region}/clusters", operation{"DescribeClustersForRegion", s.describeClustersForRegion}},
		{"PUT /api/v2/clusters/{id}", operation{"ModifyCluster", s.modifyCluster}},
		{"POST /clusters/{id}/name/{name}", operation{"ModifyClusterName", s.modifyClusterName}},
		{"DELETE /clusters/{id}/nodes", operation{"DeleteClusterNodes", s.deleteClusterNodes}},
		{"GET /quota", operation{"DescribeUserQuota", s.describeUserQuota}},
		{"GET /api/v1/metadata/versions", operation{"DescribeKubernetesVersionMetadata", s.describeKubernetesVersionMetadata}},
	} {
		mux.Handle(rt.pattern, rt.op)
	}
	return mux
}

// ServeHTTP records the matched operation in the routing recorder.
func (op operation) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	if rec, ok := w.(*routing); ok {
		rec.op = &op
	}
}

// route finds r's operation and sets r's path values. A path that exists
// with another method is 405; any other miss (unknown or unclean paths) is 404.
func (s *Server) route(r *http.Request) (operation, error) {
	rec := &routing{header: http.Header{}}
	s.mux.ServeHTTP(rec, r)
	switch {
	case rec.op != nil:
		return *rec.op, nil
	case rec.status == http.StatusMethodNotAllowed:
		return operation{}, ackscale.Errorf(ackscale.CodeMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path)
	}
	return operation{}, ackscale.Errorf(ackscale.CodeRouteNotFound, "no operation at %s %s", r.Method, r.URL.Path)
}

// routing is the ResponseWriter the mux routes into: it keeps the
// operation matched, or the status of the mux's own 404/405 answer.
type routing struct {
	header http.Header
	op     *operation
	status int
}

func (w *routing) Header() http.Header         { return w.header }
func (w *routing) Write(b []byte) (int, error) { return len(b), nil }
func (w *routing) WriteHeader(status int)      { w.status = status }

type handlerFunc func(ctx context.Context, r *request) (response, error)
