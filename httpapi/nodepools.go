package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/ops"
)

// The node pool operations. Each that starts a task answers 202 with the
// task (as every asynchronous operation does), and the pool's id where the
// SDK models have it.

// poolOp is a node pool operation that takes a JSON body.
type poolOp func(ctx context.Context, c ops.Caller, clusterID, poolID string, body []byte) (ops.PoolAccepted, error)

func (s *Server) acceptPool(ctx context.Context, r *request, op poolOp) (response, error) {
	body, err := jsonBody(r)
	if err != nil {
		return response{}, err
	}
	a, err := op(ctx, r.caller(), r.PathValue("id"), r.PathValue("np"), body)
	if err != nil {
		return response{}, err
	}
	return poolAccepted(a, r.id), nil
}

func poolAccepted(a ops.PoolAccepted, requestID string) response {
	return response{status: http.StatusAccepted, body: map[string]string{
		"cluster_id": a.ClusterID, "nodepool_id": a.NodePoolID, "request_id": requestID, "task_id": a.TaskID}}
}

func (s *Server) createNodePool(ctx context.Context, r *request) (response, error) {
	return s.acceptPool(ctx, r, func(ctx context.Context, c ops.Caller, clusterID, _ string, body []byte) (ops.PoolAccepted, error) {
		return s.cfg.Ops.CreateNodePool(ctx, c, clusterID, body)
	})
}

func (s *Server) modifyNodePool(ctx context.Context, r *request) (response, error) {
	return s.acceptPool(ctx, r, s.cfg.Ops.ModifyNodePool)
}

func (s *Server) scaleNodePool(ctx context.Context, r *request) (response, error) {
	return s.acceptPool(ctx, r, s.cfg.Ops.ScaleNodePool)
}

func (s *Server) deleteNodePool(ctx context.Context, r *request) (response, error) {
	force, err := queryBool(r, "force")
	if err != nil {
		return response{}, err
	}
	a, err := s.cfg.Ops.DeleteNodePool(ctx, r.caller(), r.PathValue("id"), r.PathValue("np"), force)
	if err != nil {
		return response{}, err
	}
	return poolAccepted(a, r.id), nil
}

// removeNodePoolNodes takes everything in the query, as the SDKs send it:
// nodes and instance_ids are JSON arrays (a comma-separated list, or the
// parameter repeated, is taken too), the flags true or false. Every other
// parameter is passed on too, so that validation names it.
func (s *Server) removeNodePoolNodes(ctx context.Context, r *request) (response, error) {
	body := map[string]any{}
	for name, vs := range r.URL.Query() {
		if len(vs) == 1 && vs[0] == "" {
			continue // an empty parameter is an absent one
		}
		switch name {
		case "nodes", "instance_ids":
			body[name] = queryList(vs)
		case "release_node", "drain_node", "concurrency":
			body[name] = queryFlag(vs[0])
		default:
			body[name] = vs[0]
		}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return response{}, err
	}
	a, err := s.cfg.Ops.RemoveNodePoolNodes(ctx, r.caller(), r.PathValue("id"), r.PathValue("np"), raw)
	if err != nil {
		return response{}, err
	}
	return poolAccepted(a, r.id), nil
}

// queryList reads a list sent in the query: a JSON array, a
// comma-separated list, or the parameter repeated.
func queryList(vs []string) any {
	if len(vs) > 1 {
		return vs
	}
	var list []any
	if v := vs[0]; strings.HasPrefix(strings.TrimSpace(v), "[") && json.Unmarshal([]byte(v), &list) == nil {
		return list
	}
	return strings.Split(vs[0], ",")
}

// queryFlag reads a boolean query value; anything but true or false is
// passed on as the string it is, for validation to name.
func queryFlag(v string) any {
	if b, err := strconv.ParseBool(v); err == nil && (v == "true" || v == "false") {
		return b
	}
	return v
}

// queryBool reads an optional boolean query parameter.
func queryBool(r *request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	switch v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, ackscale.FieldErrorf(ackscale.CodeInvalidType, name, "%s: %q is not true or false", name, v)
}

func (s *Server) describeNodePools(ctx context.Context, r *request) (response, error) {
	pools, err := s.cfg.Ops.ListNodePools(ctx, r.caller(), r.PathValue("id"), r.URL.Query().Get("NodepoolName"))
	if err != nil {
		return response{}, err
	}
	views := make([]map[string]any, 0, len(pools))
	for _, p := range pools {
		views = append(views, newPoolView(p))
	}
	return response{status: http.StatusOK, body: map[string]any{"nodepools": views}}, nil
}

func (s *Server) describeNodePool(ctx context.Context, r *request) (response, error) {
	p, err := s.cfg.Ops.DescribeNodePool(ctx, r.caller(), r.PathValue("id"), r.PathValue("np"))
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: newPoolView(p)}, nil
}

// newPoolView is a pool as DescribeClusterNodePoolDetail shows it: its
// configuration as the requests set it, with what ackscale decides on top
// (ids, defaults, sizes, times, status). Numbers are JSON numbers and times
// RFC 3339, as the typed clients decode them.
func newPoolView(info ops.NodePoolInfo) map[string]any {
	p, spec := info.Pool, info.Pool.Spec
	v := map[string]any{}
	_ = json.Unmarshal(spec.Config, &v)
	obj := func(name string) map[string]any {
		m, ok := v[name].(map[string]any)
		if !ok {
			m = map[string]any{}
			v[name] = m
		}
		return m
	}
	ni := obj("nodepool_info")
	ni["nodepool_id"], ni["name"], ni["type"], ni["is_default"] = p.ID, spec.Name, cmpStr(spec.Type, ackscale.NodePoolTypeESS), p.IsDefault
	ni["region_id"], ni["created"], ni["updated"] = info.RegionID, p.Created.Format(rfc3339), p.Updated.Format(rfc3339)
	setDefault(ni, "resource_group_id", "rg-default")
	poolScalingGroup(obj("scaling_group"), p)
	poolKubernetesConfig(obj("kubernetes_config"), spec)
	as := obj("auto_scaling")
	as["enable"], as["min_instances"], as["max_instances"] = spec.AutoScaling.Enable, spec.AutoScaling.MinInstances, spec.AutoScaling.MaxInstances
	setDefault(as, "type", cmpStr(spec.AutoScaling.Type, "cpu"))
	setDefault(obj("management"), "enable", false)
	c := info.Counts
	v["status"] = map[string]any{"state": string(p.State), "total_nodes": c.Total, "healthy_nodes": c.Healthy,
		"serving_nodes": c.Serving, "initial_nodes": c.Initial, "failed_nodes": c.Failed, "offline_nodes": c.Offline,
		"removing_nodes": c.Removing}
	return v
}

// rfc3339 is the time layout of pools' created and updated.
const rfc3339 = "2006-01-02T15:04:05.000Z07:00"

func poolScalingGroup(sg map[string]any, p ackscale.NodePool) {
	w := p.Spec.Workers
	sg["desired_size"] = p.Spec.DesiredSize
	sg["scaling_group_id"] = "asg-" + p.ID[2:22]
	sg["security_group_id"] = "sg-" + p.ClusterID[1:21]
	setDefault(sg, "security_group_ids", []string{"sg-" + p.ClusterID[1:21]})
	setDefault(sg, "instance_charge_type", cmpStr(w.ChargeType, "PostPaid"))
	setDefault(sg, "instance_types", nonNilStrings(w.InstanceTypes))
	setDefault(sg, "vswitch_ids", nonNilStrings(w.VSwitchIDs))
	if w.HasPassword {
		sg["login_password"] = "******"
	}
}

func poolKubernetesConfig(kc map[string]any, spec ackscale.NodePoolSpec) {
	setDefault(kc, "labels", []any{})
	setDefault(kc, "taints", []any{})
	kc["unschedulable"] = spec.Unschedulable
	if rt := spec.Workers.Runtime; rt != nil && rt.Name != "" {
		setDefault(kc, "runtime", rt.Name)
		setDefault(kc, "runtime_version", rt.Version)
	}
}

func setDefault(m map[string]any, key string, v any) {
	if _, ok := m[key]; !ok {
		m[key] = v
	}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
