package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/ackscale/ackscale"
)

type taskResult struct {
	Data   string `json:"data"`
	Status string `json:"status"` // success | failed | initial
}

type stageView struct {
	State     string `json:"state"`
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time"`
	Message   string `json:"message"`
	Outputs   any    `json:"outputs"`
	Name      string `json:"name"`
}

type eventView struct {
	Action    string `json:"action"`
	Level     string `json:"level"`
	Message   string `json:"message"`
	Reason    string `json:"reason"`
	Source    string `json:"source"`
	Timestamp string `json:"timestamp"`
}

func (s *Server) describeTaskInfo(ctx context.Context, r *request) (response, error) {
	info, err := s.cfg.Ops.DescribeTask(ctx, r.caller(), r.PathValue("id"))
	if err != nil {
		return response{}, err
	}
	t, ws := info.Task, info.Workers
	body := map[string]any{
		"task_id": t.ID, "cluster_id": t.ClusterID, "task_type": t.Type, "state": t.State,
		"created": fmtTime(t.Created), "updated": fmtTime(t.Updated), "current_stage": t.CurrentStage,
		"target":     map[string]string{"id": t.ClusterID, "type": "cluster"},
		"parameters": taskParameters(t),
		"stages":     stageViews(t.Stages),
		"events":     eventViews(t.Events),
	}
	if t.ErrorCode != "" {
		body["error"] = map[string]string{"code": t.ErrorCode, "message": t.ErrorMessage}
	}
	results := taskResults(t, ws)
	if oldGoSDK(r.Request) {
		// The old Go SDK's DescribeTaskInfoResponse reads task_result as an
		// object {"task": [...]}; every other client gets the documented array.
		body["task_result"] = map[string]any{"task": results}
	} else {
		body["task_result"] = results
	}
	return response{status: http.StatusOK, body: body}, nil
}

// oldGoSDK reports whether the request comes from alibaba-cloud-sdk-go,
// which sends "x-sdk-client: golang/…".
func oldGoSDK(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("x-sdk-client"), "golang/")
}

// taskResults lists each instance the task made and its status.
func taskResults(t ackscale.Task, ws []ackscale.Worker) []taskResult {
	out := []taskResult{}
	for _, w := range ws {
		status := "initial"
		switch {
		case w.State == ackscale.NodeFailed:
			status = "failed"
		case w.State == ackscale.NodeRunning:
			status = "success"
		}
		data := w.InstanceID
		if data == "" {
			data = w.ClientToken
		}
		out = append(out, taskResult{Data: data, Status: status})
	}
	if t.Params.Removal != nil {
		for _, n := range t.Params.Removal.Nodes {
			status := "initial"
			if t.State == ackscale.TaskSuccess {
				status = "success"
			} else if t.State == ackscale.TaskFailed {
				status = "failed"
			}
			out = append(out, taskResult{Data: n, Status: status})
		}
	}
	return out
}

func taskParameters(t ackscale.Task) map[string]any {
	p := map[string]any{}
	if so := t.Params.ScaleOut; so != nil {
		p["count"] = so.Count
		p["worker_instance_types"] = so.InstanceTypes
		p["vswitch_ids"] = so.VSwitchIDs
		p["disable_rollback"] = so.DisableRollback
		p["timeout_mins"] = so.TimeoutMins
		if so.ENSRegionID != "" {
			p["ens_region_id"] = so.ENSRegionID
		}
	}
	if rm := t.Params.Removal; rm != nil {
		p["nodes"] = rm.Nodes
		p["release_node"] = rm.ReleaseNode
		p["drain_node"] = rm.DrainNode
	}
	return p
}

func stageViews(st []ackscale.TaskStage) []stageView {
	out := make([]stageView, 0, len(st))
	for _, s := range st {
		out = append(out, stageView{Name: string(s.Name), State: string(s.State), StartTime: fmtTime(s.Start), EndTime: fmtTime(s.End),
			Message: s.Message, Outputs: map[string]string{}})
	}
	return out
}

func eventViews(ev []ackscale.TaskEvent) []eventView {
	out := make([]eventView, 0, len(ev))
	for _, e := range ev {
		out = append(out, eventView{Action: string(e.Action), Level: string(e.Level), Message: e.Message, Reason: string(e.Reason),
			Source: e.Source, Timestamp: fmtTime(e.Timestamp)})
	}
	return out
}
