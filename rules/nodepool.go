package rules

import (
	"encoding/json"
	"slices"

	"github.com/ackscale/ackscale"
)

// NodePoolChange is a validated ModifyClusterNodePool body.
type NodePoolChange struct {
	// Patch is the body's configuration objects (nodepool_info,
	// scaling_group, kubernetes_config, auto_scaling, management,
	// tee_config, eflo_node_group) as sent, for the caller to merge into
	// the pool's Config as a JSON merge patch (RFC 7396) and to validate
	// whole with NodePool (Target.Pool set). Three things differ from what
	// was sent (R3, R29, R28): a null member, at any depth, is left out (it
	// keeps what the pool has; an empty list clears); a login_password sent
	// without a key_pair also
	// sets key_pair to null (one credential replaces the other), and
	// eflo_node_group.auto_attach_enabled, a string in the modification's
	// SDK model, is the boolean the pool's configuration holds. It may
	// hold a login_password: merge it, never keep it (NodePool's Config
	// drops it).
	Patch json.RawMessage
	// UpdateNodes: the pool's existing Nodes take its new labels, taints
	// and unschedulable mark.
	UpdateNodes bool
	// Concurrency is the SDK model's "whether to enable concurrency"; ackscale
	// does not act on it.
	Concurrency bool
	// Count is the deprecated top-level count Terraform sends for a
	// node_count increase: the number of nodes to add to the pool's
	// current size. Nil when absent; never sent with
	// scaling_group.desired_size (R31).
	Count *int
}

// NodePool validates a CreateClusterNodePool body for the target cluster
// (any profile), or a pool's stored Config merged with a modification
// (t.Pool set). The result's Workers is the scale-out each new worker of
// the pool is made of, with Count 0 (the caller sets it); Config is the
// accepted configuration, normalized: what was sent and kept, the
// defaults ackscale chose, without login_password and the fields that are
// only type-checked (R27). Its errors are those of the table (docs/api.md).
func NodePool(t Target, body []byte, c Cloud) (ackscale.NodePoolSpec, error) {
	return run[ackscale.NodePoolSpec](t.Profile, OpCreateNodePool, body, t, c)
}

// ModifyNodePool validates a ModifyClusterNodePool body: the SDK model's
// fields, type-checked and bounded as in NodePool, none required, and
// Terraform's extras (empty nodepool_info and kubernetes_config objects,
// a top-level count). Whether the change fits the pool (its type, its
// auto-scaling type, the quota, the cloud) is NodePool's to say on the
// merged configuration.
func ModifyNodePool(body []byte) (NodePoolChange, error) {
	return run[NodePoolChange]("", OpModifyNodePool, body, Target{}, nil)
}

// ScaleNodePool validates a ScaleClusterNodePool body and returns its
// count: the nodes to add, in [1, 500] (R31). Whether the cluster's quota
// and the pool's auto-scaling bounds allow them is the caller's to check.
func ScaleNodePool(body []byte) (int, error) {
	return run[int]("", OpScaleNodePool, body, Target{}, nil)
}

// RemoveNodePoolNodes validates the query parameters of a
// RemoveNodePoolNodes request (DELETE …/nodepools/{np}/nodes), which has
// no body, made by the caller into one JSON object with a member per
// parameter sent: nodes and instance_ids as the JSON arrays of strings the
// SDKs send (["i-a","i-b"]), release_node, drain_node and concurrency as
// booleans. A value that does not parse as what its parameter takes is
// best passed on as the string it is, so that the error is a type error
// naming the parameter; a member the table lacks is UnknownField. The
// result's Nodes are nodes then instance_ids (node names or instance ids),
// each once (R32).
func RemoveNodePoolNodes(body []byte) (ackscale.Removal, error) {
	return run[ackscale.Removal]("", OpRemoveNodePoolNodes, body, Target{}, nil)
}

func buildNodePool(s *state) (any, error) {
	info, sg, kc, as := s.v.obj("nodepool_info"), s.v.obj("scaling_group"), s.v.obj("kubernetes_config"), s.v.obj("auto_scaling")
	spec := ackscale.NodePoolSpec{
		Name: info.str("name"), Type: info.str("type"), DesiredSize: s.desiredSize(),
		Unschedulable: kc.bool("unschedulable"),
		AutoScaling: ackscale.AutoScaling{Enable: as.bool("enable"), MinInstances: as.int("min_instances"),
			MaxInstances: as.int("max_instances"), Type: as.str("type")},
	}
	rt := s.poolRuntime()
	w := ackscale.ScaleOut{
		InstanceTypes:      slices.Clone(sg.strs("instance_types")),
		VSwitchIDs:         slices.Clone(sg.strs("vswitch_ids")),
		ImageID:            or(sg.str("image_id"), s.t.Defaults.WorkerImageID),
		KeyPair:            sg.str("key_pair"),
		HasPassword:        s.poolHasPassword(),
		SystemDiskCategory: sg.str("system_disk_category"),
		DataDisks:          poolDataDisks(sg.list("data_disks")),
		Tags:               tags(kc.list("labels")),
		Taints:             taints(kc.list("taints")),
		Runtime:            &rt,
		ChargeType:         sg.str("instance_charge_type"),
		CPUPolicy:          kc.str("cpu_policy"),
		UserData:           kc.str("user_data"),
		CloudMonitor:       kc.bool("cms_enabled"),
		RDSInstances:       slices.Clone(sg.strs("rds_instances")),
		Unschedulable:      spec.Unschedulable,
		DisableRollback:    true, // R30
		TimeoutMins:        poolTimeoutMins,
	}
	w.SystemDiskSizeGiB = s.poolSystemDisk(w.ImageID)
	if w.ChargeType == "PrePaid" {
		w.Period, w.PeriodUnit = sg.int("period"), sg.str("period_unit")
		if w.AutoRenew = sg.bool("auto_renew"); w.AutoRenew {
			w.AutoRenewPeriod = or(sg.int("auto_renew_period"), 1)
		}
	}
	spec.Workers = w
	cfg, err := json.Marshal(s.poolConfig(spec, rt))
	if err != nil {
		return nil, err
	}
	spec.Config = cfg
	return spec, nil
}

// poolTimeoutMins is how long a pool's scale-out may take (R30).
const poolTimeoutMins = 60

// desiredSize is scaling_group.desired_size; else the deprecated count;
// else min_instances with auto scaling on, 0 without (R26, R28).
func (s *state) desiredSize() int {
	sg, as := s.v.obj("scaling_group"), s.v.obj("auto_scaling")
	switch {
	case sg.has("desired_size"):
		return sg.int("desired_size")
	case s.v.has("count"):
		return s.v.int("count")
	case as.bool("enable"):
		return as.int("min_instances")
	}
	return 0
}

// poolRuntime is kubernetes_config's runtime, else the cluster's; the
// version sent, else the cluster's when the runtime is the cluster's (R26).
func (s *state) poolRuntime() ackscale.Runtime {
	kc, def := s.v.obj("kubernetes_config"), s.t.Defaults.Runtime
	rt := ackscale.Runtime{Name: or(kc.str("runtime"), def.Name, "containerd"), Version: kc.str("runtime_version")}
	if rt.Version == "" && rt.Name == def.Name {
		rt.Version = def.Version
	}
	return rt
}

// poolHasPassword: a login_password sent, or the modified pool's kept
// password when no key pair replaces it (R29).
func (s *state) poolHasPassword() bool {
	sg := s.v.obj("scaling_group")
	return sg.has("login_password") || s.t.Pool != nil && s.t.Pool.Workers.HasPassword && !sg.has("key_pair")
}

// poolSystemDisk is the system disk sent, else 120 GiB raised to the
// image size (R26).
func (s *state) poolSystemDisk(imageID string) int {
	sg := s.v.obj("scaling_group")
	if sg.has("system_disk_size") {
		return sg.int("system_disk_size")
	}
	if size, ok := s.c.ImageSizeGiB(imageID); ok && imageID != "" {
		return max(defaultPoolDiskGiB, size)
	}
	return defaultPoolDiskGiB
}

// defaultPoolDiskGiB is a pool's system disk when none is sent (R26).
const defaultPoolDiskGiB = 120

func poolDataDisks(items []values) []ackscale.DataDisk {
	var out []ackscale.DataDisk
	for _, v := range items {
		out = append(out, ackscale.DataDisk{Category: v.str("category"), SizeGiB: v.int("size"), Encrypted: v.str("encrypted") == "true"})
	}
	return out
}

// poolConfig is the accepted configuration (R27): every kept field sent or
// defaulted, and the values ackscale chose: the desired size, the system
// disk and the runtime. The deprecated count is folded into desired_size.
func (s *state) poolConfig(spec ackscale.NodePoolSpec, rt ackscale.Runtime) map[string]any {
	cfg := kept(s.tab.Fields, s.v)
	delete(cfg, "count")
	sg, kc := object(cfg, "scaling_group"), object(cfg, "kubernetes_config")
	sg["desired_size"] = spec.DesiredSize
	sg["system_disk_size"] = spec.Workers.SystemDiskSizeGiB
	kc["runtime"] = rt.Name
	if rt.Version != "" {
		kc["runtime_version"] = rt.Version
	}
	return cfg
}

// object returns the object member name of m, adding an empty one.
func object(m map[string]any, name string) map[string]any {
	o, ok := m[name].(map[string]any)
	if !ok {
		o = map[string]any{}
		m[name] = o
	}
	return o
}

// kept returns the values of fs that a pool keeps: not the ignored ones,
// not the secret ones.
func kept(fs []Field, v values) map[string]any {
	out := map[string]any{}
	for i := range fs {
		f := &fs[i]
		val, ok := v[f.Name]
		if !ok || f.Ignored || f.Secret {
			continue
		}
		switch x := val.(type) {
		case values:
			out[f.Name] = kept(f.Fields, x)
		case []values:
			items := make([]any, len(x))
			for j, it := range x {
				items[j] = kept(f.Fields, it)
			}
			out[f.Name] = items
		default:
			out[f.Name] = val
		}
	}
	return out
}

func buildModifyNodePool(s *state) (any, error) {
	patch := map[string]any{}
	for _, name := range poolObjects {
		if raw, ok := s.obj[name]; ok && !isNull(raw) { // R3: null is absent, not "delete"
			patch[name] = withoutNulls(raw)
		}
	}
	normalizePatch(patch, s.v)
	ch := NodePoolChange{UpdateNodes: s.v.bool("update_nodes"), Concurrency: s.v.bool("concurrency")}
	var err error
	if ch.Patch, err = json.Marshal(patch); err != nil {
		return nil, err
	}
	if s.v.has("count") {
		n := s.v.int("count")
		ch.Count = &n
	}
	return ch, nil
}

// poolObjects are the configuration objects a modification may send.
var poolObjects = []string{"nodepool_info", "scaling_group", "kubernetes_config", "auto_scaling", "management", "tee_config", "eflo_node_group"}

// normalizePatch makes the two changes of NodePoolChange.Patch (R29, R28).
func normalizePatch(patch map[string]any, v values) {
	if sg := v.obj("scaling_group"); sg.has("login_password") && !sg.has("key_pair") {
		m := members(patch["scaling_group"])
		m["key_pair"] = json.RawMessage("null")
		patch["scaling_group"] = m
	}
	if raw, ok := patch["eflo_node_group"]; ok {
		m := members(raw)
		if _, sent := m["auto_attach_enabled"]; sent {
			m["auto_attach_enabled"] = json.RawMessage("null") // "" is absent: back to the default
			if e := v.obj("eflo_node_group"); e.has("auto_attach_enabled") {
				m["auto_attach_enabled"] = json.RawMessage(e.str("auto_attach_enabled"))
			}
			patch["eflo_node_group"] = m
		}
	}
}

// withoutNulls is an object the table has validated without its null
// members, at any depth (R3: a null is a field left out, so in a merge
// patch it keeps what the pool has instead of deleting it). Arrays are
// values, kept as they are.
func withoutNulls(raw json.RawMessage) json.RawMessage {
	m := members(raw)
	for k, v := range m {
		switch {
		case isNull(v):
			delete(m, k)
		case len(v) > 0 && v[0] == '{':
			m[k] = withoutNulls(v)
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}

// members decodes an object the table has validated.
func members(raw any) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw.(json.RawMessage), &m)
	return m
}

func buildScaleNodePool(s *state) (any, error) { return s.v.int("count"), nil }

func buildRemoveNodePoolNodes(s *state) (any, error) {
	rm := ackscale.Removal{Nodes: slices.Clone(s.v.strs("nodes")), ReleaseNode: s.v.bool("release_node"), DrainNode: s.v.bool("drain_node")}
	for _, id := range s.v.strs("instance_ids") {
		if !slices.Contains(rm.Nodes, id) {
			rm.Nodes = append(rm.Nodes, id)
		}
	}
	return rm, nil
}
