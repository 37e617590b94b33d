package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// Values of --progress.
const (
	progressAuto  = "auto"
	progressTTY   = "tty"
	progressPlain = "plain"
	progressNone  = "none"
)

// Polling of DescribeTaskInfo: the first poll after pollMin, each wait
// twice the last, up to pollMax. A task of instant boots ends within the
// first polls; an ECS scale-out of 30–40 s is polled about 20 times, not 200.
const (
	pollMin = 200 * time.Millisecond
	pollMax = 2 * time.Second
	// pollGiveUp bounds how long polling goes on while every poll fails
	// to reach the server (a restart is shorter).
	pollGiveUp = 30 * time.Second
)

// waitFlags are the flags of the commands that start a task.
type waitFlags struct {
	noWait   bool
	progress string
}

func (f *waitFlags) add(fs *pflag.FlagSet) {
	fs.BoolVar(&f.noWait, "no-wait", false, "print the answer and return at once; follow the task with: ackscale task TASK --watch")
	fs.StringVar(&f.progress, "progress", progressAuto, "tty (live display), plain (a line per change), none, or auto (tty when stderr is a terminal, else plain)")
}

// waiter polls a task until it ends, showing its progress on out.
type waiter struct {
	api  *api
	out  io.Writer
	mode string
	// noSummary leaves the summary line to the caller.
	noSummary bool
}

// waiter makes the waiter of a command; quiet (-q) shows no progress.
func (f *waitFlags) waiter(cmd *cobra.Command, a *api, quiet bool) (*waiter, error) {
	mode := f.progress
	switch mode {
	case progressAuto:
		mode = progressPlain
		if drawable(cmd.ErrOrStderr()) {
			mode = progressTTY
		}
	case progressTTY, progressPlain, progressNone:
	default:
		return nil, fmt.Errorf("--progress %q: want auto, tty, plain or none", f.progress)
	}
	if quiet {
		mode = progressNone
	}
	return &waiter{api: a, out: cmd.ErrOrStderr(), mode: mode}, nil
}

// drawable says whether w is a terminal the live display can draw on: one
// with a size (a pseudo-terminal nobody sized has 0 rows, where mpb draws
// nothing).
func drawable(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false
	}
	width, height, err := term.GetSize(int(f.Fd()))
	return err == nil && width > 0 && height > 0
}

// progress is what one poll saw of a task.
type progress struct {
	task taskInfo
	// Requested is how many instances the task makes; Created how many
	// exist; Running and Ready how many of them run and are Ready Nodes.
	Requested, Created, Running, Ready int
	// Removing is how many nodes a removal takes away; Removed how many
	// are gone (a removal's nodes end together, with the task).
	Removing, Removed int
}

// line is the progress without the time: a plain display prints it when it
// changes.
func (p progress) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "task %s %s: %s", p.task.TaskID, p.task.TaskType, p.stage())
	if c := p.counts(); c != "" {
		b.WriteString(", " + c)
	}
	return b.String()
}

// stage is the current stage, or the state once the task has ended.
func (p progress) stage() string {
	if p.task.State != taskRunning {
		return p.task.State
	}
	return firstNonEmpty(p.task.CurrentStage, "queued")
}

func (p progress) counts() string {
	switch {
	case p.Removing > 0:
		return fmt.Sprintf("%d to remove, %d removed", p.Removing, p.Removed)
	case p.Requested > 0:
		return fmt.Sprintf("%d requested, %d created, %d running, %d Ready", p.Requested, p.Created, p.Running, p.Ready)
	}
	return ""
}

// summary is the one line printed when the task has ended.
func (p progress) summary(elapsed time.Duration) string {
	t := p.task
	var b strings.Builder
	if t.State == taskSuccess {
		fmt.Fprintf(&b, "task %s (%s) succeeded in %s", t.TaskID, t.TaskType, round(elapsed))
	} else {
		fmt.Fprintf(&b, "task %s (%s) failed after %s", t.TaskID, t.TaskType, round(elapsed))
		if t.CurrentStage != "" {
			b.WriteString(" in " + t.CurrentStage)
		}
		if t.Error != nil {
			fmt.Fprintf(&b, ": %s: %s", t.Error.Code, t.Error.Message)
		}
	}
	if c := p.counts(); c != "" {
		b.WriteString("; " + c)
	}
	return b.String()
}

func round(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}

// poll reads the task and, for its instances, the nodes.
func (w *waiter) poll(id string) (progress, error) {
	t, _, err := w.api.describeTask(id)
	if err != nil {
		return progress{}, err
	}
	p := progress{task: t}
	if len(t.Parameters.Nodes) > 0 {
		p.Removing = len(t.Parameters.Nodes)
		for _, r := range t.Results {
			if r.Status == taskSuccess && contains(t.Parameters.Nodes, r.Data) {
				p.Removed++
			}
		}
		return p, nil
	}
	ids := t.instanceIDs()
	p.Requested = max(t.Parameters.Count, len(t.Results))
	p.Created = len(ids)
	if len(ids) == 0 {
		return p, nil
	}
	// The cluster of a finished delete is gone: its nodes are not an error.
	nodes, err := w.api.nodesByInstance(t.ClusterID, ids)
	if err != nil {
		return p, nil
	}
	for _, n := range nodes {
		if n.InstanceStatus == "Running" {
			p.Running++
		}
		if n.NodeStatus == "Ready" {
			p.Ready++
		}
	}
	return p, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// display shows a task's progress.
type display interface {
	update(p progress, elapsed time.Duration)
	// finish shows the last state and ends the display.
	finish(p progress, elapsed time.Duration)
}

// wait polls the task until it ends, showing its progress, then prints the
// summary line. start is when the task began (zero: now). A failed task is
// a *taskFailedError.
func (w *waiter) wait(ctx context.Context, id string, start time.Time) (taskInfo, error) {
	if start.IsZero() {
		start = time.Now()
	}
	var d display
	switch w.mode {
	case progressTTY:
		d = newBarDisplay(ctx, w.out, start)
	case progressPlain:
		d = &plainDisplay{out: w.out}
	default:
		d = nopDisplay{}
	}
	p, err := w.follow(ctx, id, d, start)
	if err != nil {
		d.finish(p, time.Since(start))
		if ctx.Err() != nil {
			return p.task, fmt.Errorf("stopped waiting for task %s, which goes on (ackscale task %s --watch)", id, id)
		}
		return p.task, err
	}
	elapsed := time.Since(start)
	d.finish(p, elapsed)
	summarized := w.mode != progressNone && !w.noSummary
	if summarized {
		fmt.Fprintln(w.out, p.summary(elapsed))
	}
	if p.task.State != taskSuccess {
		return p.task, &taskFailedError{task: p.task, printed: summarized}
	}
	return p.task, nil
}

// follow polls with backoff until the task ends, updating d.
func (w *waiter) follow(ctx context.Context, id string, d display, start time.Time) (progress, error) {
	var last progress
	var failingSince time.Time
	delay := pollMin
	for {
		p, err := w.poll(id)
		switch {
		case err == nil:
			failingSince, last = time.Time{}, p
			d.update(p, time.Since(start))
			if p.task.State != taskRunning {
				return p, nil
			}
		case permanent(err):
			return last, err
		case failingSince.IsZero():
			failingSince = time.Now()
		case time.Since(failingSince) > pollGiveUp:
			return last, fmt.Errorf("task %s: %w", id, err)
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, pollMax)
	}
}

// permanent says whether polling again cannot help: the server answered
// with an error of the request (a task that does not exist, a bad key),
// not a throttle or a server error.
func permanent(err error) bool {
	var ae *apiError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.Status >= 400 && ae.Status < 500 && ae.Status != 429 && !strings.HasPrefix(ae.Code, "Throttling")
}

type nopDisplay struct{}

func (nopDisplay) update(progress, time.Duration) {}
func (nopDisplay) finish(progress, time.Duration) {}

// plainDisplay prints a line each time the progress changes (not on every
// poll), for logs and pipes.
type plainDisplay struct {
	out  io.Writer
	last string
}

func (d *plainDisplay) update(p progress, elapsed time.Duration) {
	if p.task.TaskID == "" {
		return
	}
	if l := p.line(); l != d.last {
		d.last = l
		fmt.Fprintf(d.out, "%s [%s]\n", l, round(elapsed))
	}
}

func (d *plainDisplay) finish(progress, time.Duration) {}

// barDisplay draws the task on a terminal with mpb: the task and its stage,
// a bar of Ready instances out of those requested, the counts and the time,
// redrawn in place.
type barDisplay struct {
	p     *mpb.Progress
	bar   *mpb.Bar
	start time.Time
	mu    sync.Mutex
	cur   progress
	done  bool
}

func newBarDisplay(ctx context.Context, out io.Writer, start time.Time) *barDisplay {
	d := &barDisplay{start: start}
	d.p = mpb.NewWithContext(ctx, mpb.WithOutput(out), mpb.WithRefreshRate(100*time.Millisecond), mpb.WithWidth(40))
	d.bar = d.p.New(0, mpb.BarStyle().Lbound("[").Filler("=").Tip(">").Padding("-").Rbound("]"),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return d.left() }, decor.WC{W: 32, C: decor.DindentRight})),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return d.right() }, decor.WC{W: 60, C: decor.DindentRight})))
	return d
}

func (d *barDisplay) left() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cur.task.TaskID == "" {
		return "waiting for the task"
	}
	return fmt.Sprintf("%s %s", d.cur.task.TaskType, d.cur.stage())
}

func (d *barDisplay) right() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	elapsed := round(time.Since(d.start))
	if c := d.cur.counts(); c != "" {
		return c + " · " + elapsed.String()
	}
	return elapsed.String()
}

func (d *barDisplay) update(p progress, _ time.Duration) {
	d.mu.Lock()
	d.cur = p
	d.mu.Unlock()
	total, current := p.Requested, p.Ready
	if p.Removing > 0 {
		total, current = p.Removing, p.Removed
	}
	if total > 0 {
		d.bar.SetTotal(int64(total), false)
		d.bar.SetCurrent(int64(min(current, total)))
	}
}

func (d *barDisplay) finish(p progress, elapsed time.Duration) {
	if d.done {
		return
	}
	d.done = true
	d.update(p, elapsed)
	if p.task.State == taskSuccess {
		d.bar.SetTotal(-1, true)
	} else {
		d.bar.Abort(false)
	}
	d.p.Wait()
}
