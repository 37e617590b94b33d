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

// taskView is a task as DescribeTaskInfo shows it. Structs, not maps:
// encoding/json sorts a map's keys on every answer.
type taskView struct {
	TaskID       string             `json:"task_id"`
	ClusterID    string             `json:"cluster_id"`
	TaskType     ackscale.TaskType  `json:"task_type"`
	State        ackscale.TaskState `json:"state"`
	Created      string             `json:"created"`
	Updated      string             `json:"updated"`
	CurrentStage ackscale.Stage     `json:"current_stage"`
	Target       taskTarget         `json:"target"`
	Parameters   taskParams         `json:"parameters"`
	Stages       []stageView        `json:"stages"`
	Events       []eventView        `json:"events"`
	Error        *taskErrorView     `json:"error,omitempty"`
	TaskResult   any                `json:"task_result"`
}

type taskTarget struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// taskParams shows a scale-out's or a removal's parameters ({} for other
// tasks): a nil embedded pointer adds no field.
type taskParams struct {
	*scaleOutParams
	*removalParams
}

type scaleOutParams struct {
	Count           int      `json:"count"`
	InstanceTypes   []string `json:"worker_instance_types"`
	VSwitchIDs      []string `json:"vswitch_ids"`
	DisableRollback bool     `json:"disable_rollback"`
	TimeoutMins     int      `json:"timeout_mins"`
	ENSRegionID     string   `json:"ens_region_id,omitempty"`
}

type removalParams struct {
	Nodes       []string `json:"nodes"`
	ReleaseNode bool     `json:"release_node"`
	DrainNode   bool     `json:"drain_node"`
}

func (s *Server) describeTaskInfo(ctx context.Context, r *request) (response, error) {
	info, err := s.cfg.Ops.DescribeTask(ctx, r.caller(), r.PathValue("id"))
	if err != nil {
		return response{}, err
	}
	t, ws := info.Task, info.Workers
	body := taskView{
		TaskID: t.ID, ClusterID: t.ClusterID, TaskType: t.Type, State: t.State,
		Created: fmtTime(t.Created), Updated: fmtTime(t.Updated), CurrentStage: t.CurrentStage,
		Target: taskTarget{ID: t.ClusterID, Type: "cluster"}, Parameters: taskParameters(t),
		Stages: stageViews(t.Stages), Events: eventViews(t.Events),
	}
	if t.ErrorCode != "" {
		body.Error = &taskErrorView{Code: t.ErrorCode, Message: t.ErrorMessage}
	}
	results := taskResults(t, ws)
	if oldGoSDK(r.Request) {
		// The old Go SDK's DescribeTaskInfoResponse reads task_result as an
		// object {"task": [...]}; every other client gets the documented array.
		body.TaskResult = map[string]any{"task": results}
	} else {
		body.TaskResult = results
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

func taskParameters(t ackscale.Task) taskParams {
	var p taskParams
	if so := t.Params.ScaleOut; so != nil {
		p.scaleOutParams = &scaleOutParams{Count: so.Count, InstanceTypes: so.InstanceTypes, VSwitchIDs: so.VSwitchIDs,
			DisableRollback: so.DisableRollback, TimeoutMins: so.TimeoutMins, ENSRegionID: so.ENSRegionID}
	}
	if rm := t.Params.Removal; rm != nil {
		p.removalParams = &removalParams{Nodes: rm.Nodes, ReleaseNode: rm.ReleaseNode, DrainNode: rm.DrainNode}
	}
	return p
}

func stageViews(st []ackscale.TaskStage) []stageView {
	out := make([]stageView, 0, len(st))
	for _, s := range st {
		out = append(out, stageView{Name: string(s.Name), State: string(s.State), StartTime: fmtTime(s.Start), EndTime: fmtTime(s.End),
			Message: s.Message, Outputs: struct{}{}})
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
