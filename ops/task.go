package ops

import (
	"context"
	"fmt"
	"time"

	"github.com/ackscale/ackscale"
)

// DefaultTimeoutMins is a task's deadline when its request sets none.
const DefaultTimeoutMins = 60

// newTask returns a running task of the caller's account with its
// validate stage done, its Accepted event, and its deadline: timeoutMins
// (DefaultTimeoutMins when 0) on the emulated clock.
func (s *Service) newTask(c Caller, clusterID string, typ ackscale.TaskType, timeoutMins int) ackscale.Task {
	now := s.now()
	if timeoutMins <= 0 {
		timeoutMins = DefaultTimeoutMins
	}
	timeout := time.Duration(float64(timeoutMins) * float64(time.Minute) / s.cfg.TimeScale)
	return ackscale.Task{
		ID: ackscale.NewTaskID(), AccountID: c.AccountID, ClusterID: clusterID, Type: typ, State: ackscale.TaskRunning,
		CurrentStage: ackscale.StageValidate, Created: now, Updated: now,
		Params: ackscale.TaskParams{Deadline: now.Add(timeout)},
		Stages: []ackscale.TaskStage{{Name: ackscale.StageValidate, State: ackscale.StageSuccess, Start: now, End: now}},
		Events: []ackscale.TaskEvent{{Action: ackscale.StageValidate, Level: ackscale.EventNormal, Reason: ackscale.ReasonAccepted,
			Message: "request " + c.RequestID + " accepted", Source: "ackscale", Timestamp: now}},
	}
}

// TaskInfo is a task and the workers it created.
type TaskInfo struct {
	Task    ackscale.Task
	Workers []ackscale.Worker
}

// DescribeTask returns the caller's task and its workers.
func (s *Service) DescribeTask(ctx context.Context, c Caller, id string) (TaskInfo, error) {
	t, err := s.cfg.Clusters.TaskGet(ctx, ackscale.TaskGetParams{ID: id, AccountID: c.AccountID})
	if err != nil {
		return TaskInfo{}, err
	}
	ws, _, err := s.cfg.Workers.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: t.ClusterID, TaskID: t.ID})
	if err != nil {
		return TaskInfo{}, fmt.Errorf("list workers: %w", err)
	}
	return TaskInfo{Task: t, Workers: ws}, nil
}
