package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/cs"
	"github.com/spf13/cobra"
)

// taskInfo is the part of DescribeTaskInfo the CLI reads.
type taskInfo struct {
	TaskID       string     `json:"task_id"`
	ClusterID    string     `json:"cluster_id"`
	TaskType     string     `json:"task_type"`
	State        string     `json:"state"`
	Created      string     `json:"created"`
	Updated      string     `json:"updated"`
	CurrentStage string     `json:"current_stage"`
	Error        *taskError `json:"error"`
	Parameters   struct {
		Count int      `json:"count"`
		Nodes []string `json:"nodes"`
	} `json:"parameters"`
	Stages []struct {
		Name      string `json:"name"`
		State     string `json:"state"`
		StartTime string `json:"start_time"`
		EndTime   string `json:"end_time"`
		Message   string `json:"message"`
	} `json:"stages"`
	Results taskResults `json:"task_result"`
}

type taskError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// taskResult is one instance (or node) of a task and how it went.
type taskResult struct {
	Data   string `json:"data"`
	Status string `json:"status"` // success | failed | initial
}

// taskResults reads task_result as documented, an array, and as the Go
// SDK is answered, an object {"task": [...]} (docs/api.md).
type taskResults []taskResult

// UnmarshalJSON accepts both forms.
func (r *taskResults) UnmarshalJSON(b []byte) error {
	var list []taskResult
	if err := json.Unmarshal(b, &list); err == nil {
		*r = list
		return nil
	}
	var obj struct {
		Task []taskResult `json:"task"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("task_result: %w", err)
	}
	*r = obj.Task
	return nil
}

// Task states.
const (
	taskRunning = "running"
	taskSuccess = "success"
	taskFailed  = "failed"
)

// describeTask is DescribeTaskInfo: the task and its raw answer.
func (a *api) describeTask(id string) (t taskInfo, raw []byte, err error) {
	req := cs.CreateDescribeTaskInfoRequest()
	a.roa(req.RoaRequest, nil)
	req.TaskId = id
	raw, err = a.doRaw(req, &t)
	return t, raw, err
}

func newTask(g *clientFlags) *cobra.Command {
	var wf waitFlags
	var watch bool
	cmd := &cobra.Command{
		Use:   "task TASK_ID",
		Short: "Show a task (DescribeTaskInfo), or watch it until it ends",
		Long: `Show a task: its type, state, stages and the instances it made. With
--watch, show its progress live until it ends (as the commands that start
tasks do), and exit non-zero if it failed.`,
		Example: `  ackscale task T-2db91a2e03279dc602c63cd3
  ackscale task T-2db91a2e03279dc602c63cd3 -o json
  # follow a task started with --no-wait, or by another client
  ackscale scale-out "$ID" --count 3 --no-wait        # prints task_id: T-…
  ackscale task T-2db91a2e03279dc602c63cd3 --watch`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if watch {
				return wf.watch(cmd, g, args[0])
			}
			return g.show(cmd, func(a *api) (any, printer, error) {
				t, raw, err := a.describeTask(args[0])
				return raw, func(w io.Writer) error { return printTask(w, t) }, err
			})
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "show the task's progress until it ends")
	cmd.Flags().StringVar(&wf.progress, "progress", progressAuto, "with --watch: tty (live display), plain (a line per change), none, or auto (tty on a terminal)")
	return cmd
}

// watch shows the progress of task id until it ends.
func (f *waitFlags) watch(cmd *cobra.Command, g *clientFlags, id string) error {
	a, err := g.readAPI()
	if err != nil {
		return err
	}
	w, err := f.waiter(cmd, a, false)
	if err != nil {
		return err
	}
	_, err = w.wait(cmd.Context(), id, time.Time{})
	return err
}

// printTask prints a task as fields, then its stages and instances.
func printTask(w io.Writer, t taskInfo) error {
	fields := [][2]string{{"task_id", t.TaskID}, {"task_type", t.TaskType}, {"cluster_id", t.ClusterID},
		{"state", t.State}, {"current_stage", orDash(t.CurrentStage)}, {"created", t.Created}, {"updated", t.Updated}}
	if t.Error != nil {
		fields = append(fields, [2]string{"error", t.Error.Code + ": " + t.Error.Message})
	}
	if err := printFields(w, fields); err != nil {
		return err
	}
	if len(t.Stages) > 0 {
		fmt.Fprintln(w)
		rows := make([][]string, 0, len(t.Stages))
		for _, s := range t.Stages {
			rows = append(rows, []string{s.Name, s.State, orDash(s.StartTime), orDash(s.EndTime), orDash(s.Message)})
		}
		if err := printTable(w, []string{"STAGE", "STATE", "START", "END", "MESSAGE"}, rows); err != nil {
			return err
		}
	}
	if len(t.Results) > 0 {
		fmt.Fprintln(w)
		rows := make([][]string, 0, len(t.Results))
		for _, r := range t.Results {
			rows = append(rows, []string{r.Data, r.Status})
		}
		return printTable(w, []string{"RESULT", "STATUS"}, rows)
	}
	return nil
}

// taskFailedError is a task that ended failed. Its summary line has been
// printed, so main prints nothing more and exits 1.
type taskFailedError struct {
	task    taskInfo
	printed bool
}

func (e *taskFailedError) Error() string {
	msg := "task " + e.task.TaskID + " failed"
	if e.task.Error != nil {
		msg += ": " + e.task.Error.Code + ": " + e.task.Error.Message
	}
	return msg
}

// silent says whether main should not print err (it was shown already).
func silent(err error) bool {
	var tf *taskFailedError
	return errors.As(err, &tf) && tf.printed
}

// instanceIDs are the task's results that name an instance (i-…).
func (t taskInfo) instanceIDs() []string {
	var ids []string
	for _, r := range t.Results {
		if strings.HasPrefix(r.Data, "i-") {
			ids = append(ids, r.Data)
		}
	}
	return ids
}
