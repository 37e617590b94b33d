package httpapi

import (
	"net/http"
	"strings"

	"github.com/ackscale/ackscale"
)

// route is one operation: a method and a path pattern whose {name}
// segments are parameters.
type route struct {
	method  string
	pattern []string
	action  string
	handle  handlerFunc
}

func (s *Server) routeTable() []route {
	table := []struct {
		method, path, action string
		h                    handlerFunc
	}{
		{http.MethodPost, "/clusters", "CreateCluster", s.createCluster},
		{http.MethodGet, "/clusters", "DescribeClusters", s.describeClusters},
		{http.MethodGet, "/api/v1/clusters", "DescribeClustersV1", s.describeClustersV1},
		{http.MethodGet, "/clusters/{id}", "DescribeClusterDetail", s.describeCluster},
		{http.MethodDelete, "/clusters/{id}", "DeleteCluster", s.deleteCluster},
		{http.MethodPut, "/clusters/{id}", "ScaleCluster", s.scaleCluster},
		{http.MethodPost, "/api/v2/clusters/{id}", "ScaleOutCluster", s.scaleOutCluster},
		{http.MethodGet, "/clusters/{id}/nodes", "DescribeClusterNodes", s.describeClusterNodes},
		{http.MethodPost, "/clusters/{id}/nodes", "DeleteClusterNodes", s.removeNodes},
		{http.MethodPost, "/api/v2/clusters/{id}/nodes/remove", "RemoveClusterNodes", s.removeNodes},
		{http.MethodGet, "/tasks/{id}", "DescribeTaskInfo", s.describeTaskInfo},
		{http.MethodGet, "/k8s/{id}/user_config", "DescribeClusterUserKubeconfig", s.describeKubeconfig},
		{http.MethodGet, "/api/v2/k8s/{id}/user_config", "DescribeClusterV2UserKubeconfig", s.describeKubeconfig},
	}
	routes := make([]route, len(table))
	for i, t := range table {
		routes[i] = route{method: t.method, pattern: splitPath(t.path), action: t.action, handle: t.h}
	}
	return routes
}

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

// match finds the handler of method and path. A path that exists with
// another method is 405, none is 404.
func (s *Server) match(method, path string) (handlerFunc, map[string]string, error) {
	segs := splitPath(path)
	pathFound := false
	for _, rt := range s.routes {
		params, ok := matchPattern(rt.pattern, segs)
		if !ok {
			continue
		}
		if rt.method == method {
			return rt.handle, params, nil
		}
		pathFound = true
	}
	if pathFound {
		return nil, nil, ackscale.Errorf(codeMethodNotAllowed, "%s is not allowed on %s", method, path)
	}
	return nil, nil, ackscale.Errorf(ackscale.CodeRouteNotFound, "no operation at %s %s", method, path)
}

func matchPattern(pattern, segs []string) (map[string]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var params map[string]string
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") {
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[strings.Trim(p, "{}")] = segs[i]
		} else if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}
