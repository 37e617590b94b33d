package task

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"golang.org/x/sync/errgroup"

	"github.com/ackscale/ackscale"
)

// scaleOut adds the workers of t.Params.ScaleOut: plan, create instances,
// wait until they run, register them; on failure or timeout, roll back
// unless disable_rollback.
func (r *run) scaleOut(ctx context.Context) error {
	ws, err := r.plan(ctx)
	if err != nil {
		return err
	}
	if r.t.ErrorCode != "" { // failure already decided: resume its rollback
		return r.failScaleOut(ctx, ws, r.t.ErrorCode, r.t.ErrorMessage)
	}
	if r.now().After(r.t.Params.Deadline) {
		return r.failScaleOut(ctx, ws, ackscale.CodeTaskTimeout,
			fmt.Sprintf("the task did not finish within timeout_mins=%d", r.t.Params.ScaleOut.TimeoutMins))
	}
	if err := r.stage(ctx, ackscale.StageCreateInstances); err != nil {
		return err
	}
	if err := r.createInstances(ctx, ws); err != nil {
		if !ackscale.IsCloudRefusal(err) {
			return err // a store or programming error: retry the job
		}
		return r.failScaleOut(ctx, ws, ackscale.ErrorCode(err), ackscale.ErrorMessage(err))
	}
	if err := r.stage(ctx, ackscale.StageWaitRunning); err != nil {
		return err
	}
	wait, err := r.waitRunning(ctx, ws)
	if ackscale.IsCloudRefusal(err) { // the cloud says an instance will not boot
		return r.failScaleOut(ctx, ws, ackscale.ErrorCode(err), ackscale.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	if wait > 0 {
		return river.JobSnooze(wait)
	}
	if err := r.stage(ctx, ackscale.StageRegister); err != nil {
		return err
	}
	if err := r.ensureAPIServer(ctx); err != nil {
		return err
	}
	if err := r.registerAll(ctx, ws); err != nil {
		return err
	}
	return r.succeed(ctx)
}

// What one task has in flight at once.
const (
	// createInFlight bounds the instances being created at once: enough
	// that the store's writer commits them in groups.
	createInFlight = 64
	// describeInFlight bounds the instances described at once.
	describeInFlight = 32
	// registerInFlight bounds the Nodes being registered at once: enough
	// to keep a kube-apiserver busy (each Node is two calls), few enough
	// not to queue in it.
	registerInFlight = 32
)

// createInstances creates the instance of every worker that has none,
// createInFlight at a time, in plan order. Instances of one vSwitch may be
// created together: the store gives each the lowest free IP of its pool in
// the transaction that creates it, so two never pick the same one. After a
// failure no new instance is started; a cloud refusal wins over other
// errors (the task fails, the others are rolled back or kept with it),
// else the first other error is returned.
func (r *run) createInstances(ctx context.Context, ws []ackscale.Worker) error {
	errs := make([]error, len(ws))
	var stop atomic.Bool
	var g errgroup.Group
	g.SetLimit(createInFlight)
	for i := range ws {
		if stop.Load() {
			break
		}
		g.Go(func() error {
			if stop.Load() {
				return nil
			}
			if errs[i] = r.createInstance(ctx, &ws[i]); errs[i] != nil {
				stop.Store(true)
			}
			return nil
		})
	}
	_ = g.Wait()
	var refused error
	for i, err := range errs {
		if !ackscale.IsCloudRefusal(err) {
			continue
		}
		if r.unmade == nil { // the cloud checks the token first: it has no instance of it
			r.unmade = map[string]bool{}
		}
		r.unmade[ws[i].ClientToken] = true
		refused = cmp.Or(refused, err)
	}
	if refused != nil {
		return refused
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// registerAll registers the Nodes of the workers not running yet,
// registerInFlight at a time, each worker marked running once its Node is
// Ready. A Node fault snoozes the job only once the other Nodes are
// registered; after any other failure no new registration is started and
// the first failure is returned (the next run registers the rest).
func (r *run) registerAll(ctx context.Context, ws []ackscale.Worker) error {
	var (
		g              errgroup.Group
		mu             sync.Mutex
		failed, snooze error
	)
	g.SetLimit(registerInFlight)
	for i := range ws {
		mu.Lock()
		stop := failed != nil
		mu.Unlock()
		if stop {
			break
		}
		if ws[i].State == ackscale.NodeRunning {
			continue
		}
		g.Go(func() error {
			err := r.register(ctx, &ws[i])
			var sn *river.JobSnoozeError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
			case errors.As(err, &sn):
				snooze = cmp.Or(snooze, err)
			default:
				failed = cmp.Or(failed, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	if failed == nil && snooze != nil { // keep the NotReady events the snooze would lose
		if err := r.cfg.Store.TaskSave(ctx, r.t); err != nil {
			return err
		}
	}
	return cmp.Or(failed, snooze)
}

// plan records the workers the task will create, once, with the task
// entering its create_instances stage: one transaction (TaskPlan), so a
// task that has entered its plan stage has its workers, and a run finds
// them, while a task that has not has none and its first run plans
// without reading. A later attempt reads first anyway: a run of an older
// version inserted the workers before saving the stage.
func (r *run) plan(ctx context.Context) ([]ackscale.Worker, error) {
	if r.entered(ackscale.StagePlan) || r.attempt > 1 {
		ws, err := r.workers(ctx)
		if err != nil || len(ws) > 0 {
			if len(ws) > 0 { // planned by an older version's run that stopped before the next save
				r.enter(ctx, ackscale.StagePlan)
			}
			return ws, err
		}
	}
	r.enter(ctx, ackscale.StagePlan)
	ws := r.placement()
	r.event(ackscale.EventNormal, ackscale.ReasonPlanned, fmt.Sprintf("planned %d workers", len(ws)))
	r.enter(ctx, ackscale.StageCreateInstances)
	if err := r.cfg.Store.TaskPlan(ctx, ackscale.TaskPlanParams{Task: r.t, Workers: ws}); err != nil {
		return nil, fmt.Errorf("plan workers: %w", err)
	}
	r.planned = true
	return ws, nil
}

// workers returns the workers the task planned, in plan order.
func (r *run) workers(ctx context.Context) ([]ackscale.Worker, error) {
	ws, _, err := r.cfg.Store.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: r.c.ID, TaskID: r.t.ID})
	if err != nil {
		return nil, fmt.Errorf("list workers: %w", err)
	}
	return ws, nil
}

// placement spreads the workers evenly over the request's vSwitches (and so
// their zones), in order.
func (r *run) placement() []ackscale.Worker {
	so := r.t.Params.ScaleOut
	labels := map[string]string{}
	for _, t := range so.Tags {
		labels[t.Key] = t.Value
	}
	runtime := r.c.Spec.Runtime
	if so.Runtime != nil && so.Runtime.Name != "" {
		runtime = *so.Runtime
	}
	now := r.now()
	ws := make([]ackscale.Worker, so.Count)
	for i := range ws {
		w := ackscale.Worker{
			ClusterID: r.c.ID, AccountID: r.c.AccountID, TaskID: r.t.ID,
			ClientToken: r.t.ID + "-" + strconv.Itoa(i), NodePoolID: r.t.Params.NodePoolID(), Unschedulable: so.Unschedulable,
			RegionID:     r.c.Spec.RegionID,
			InstanceType: so.InstanceTypes[0], ImageID: so.ImageID, ChargeType: so.ChargeType,
			State: ackscale.NodeInitial, Labels: maps.Clone(labels), Taints: so.Taints, Runtime: runtime,
			SystemDiskGiB: so.SystemDiskSizeGiB, EdgeWorker: so.EdgeWorker, Created: now, Updated: now,
		}
		if so.ENSRegionID != "" {
			w.RegionID, w.ZoneID = so.ENSRegionID, so.ENSRegionID
		} else if len(so.VSwitchIDs) > 0 {
			w.VSwitchID = so.VSwitchIDs[i%len(so.VSwitchIDs)]
			w.ZoneID, _ = r.cfg.Cloud.VSwitchZone(w.VSwitchID)
		}
		ws[i] = w
	}
	return ws
}

// createInstance asks the cloud for w's instance (idempotent by client
// token) and records it, or records the cloud's refusal on a worker the
// task will keep.
func (r *run) createInstance(ctx context.Context, w *ackscale.Worker) error {
	if w.InstanceID != "" || w.State != ackscale.NodeInitial {
		return nil
	}
	in, err := r.runInstance(ctx, w)
	if ackscale.IsCloudRefusal(err) {
		// A worker the task keeps (no rollback) is listed with its own
		// refusal; with rollback it is deleted at once, and a run that
		// resumes before the rollback stage was saved asks again.
		if r.t.Params.ScaleOut.DisableRollback {
			markFailed(w, ackscale.ErrorCode(err)+": "+ackscale.ErrorMessage(err))
			if serr := r.cfg.Store.WorkerUpdate(ctx, *w); serr != nil {
				return serr
			}
		}
		return err
	}
	if err != nil {
		return fmt.Errorf("create instance for %s: %w", w.ClientToken, err)
	}
	w.InstanceID, w.IP, w.InstanceType, w.ZoneID, w.ImageID = in.ID, in.IP, in.InstanceType, in.ZoneID, in.ImageID
	w.NodeName = w.RegionID + "." + in.IP
	w.Hostname = "iZ" + strings.TrimPrefix(in.ID, "i-") + "Z"
	w.State = ackscale.NodeStarting
	return r.cfg.Store.WorkerUpdate(ctx, *w)
}

// runInstance asks for w's instance in its zone, trying the listed types in
// order; when that zone has no stock of any, it tries the request's other
// vSwitches (zones) in order, and moves w there.
func (r *run) runInstance(ctx context.Context, w *ackscale.Worker) (ackscale.Instance, error) {
	so := r.t.Params.ScaleOut
	req := ackscale.InstanceRequest{ClientToken: w.ClientToken, AccountID: w.AccountID, RegionID: w.RegionID, ZoneID: w.ZoneID,
		VSwitchID: w.VSwitchID, InstanceTypes: so.InstanceTypes, ImageID: w.ImageID, Reservation: r.t.ID,
		NewToken: r.planned}
	in, err := r.cfg.Cloud.RunInstance(ctx, req)
	if !ackscale.IsNoStock(err) || w.VSwitchID == "" {
		return in, err
	}
	start := slices.Index(so.VSwitchIDs, w.VSwitchID)
	for i := 1; i < len(so.VSwitchIDs); i++ {
		vsw := so.VSwitchIDs[(start+i)%len(so.VSwitchIDs)]
		zone, _ := r.cfg.Cloud.VSwitchZone(vsw)
		if zone == w.ZoneID {
			continue
		}
		req.VSwitchID, req.ZoneID = vsw, zone
		in, err2 := r.cfg.Cloud.RunInstance(ctx, req)
		if ackscale.IsNoStock(err2) {
			continue
		}
		if err2 == nil {
			w.VSwitchID, w.ZoneID = vsw, zone
			r.event(ackscale.EventNormal, ackscale.ReasonZoneFallback, fmt.Sprintf("%s: no stock in the first zone; placed in %s", w.ClientToken, zone))
		}
		return in, err2
	}
	return in, err
}

// waitRunning returns how long to snooze before the next look, or 0 when
// every instance runs. Short waits are slept in process.
func (r *run) waitRunning(ctx context.Context, ws []ackscale.Worker) (time.Duration, error) {
	for {
		latest, err := r.latestBoot(ctx, ws)
		if err != nil {
			return 0, err
		}
		if latest.IsZero() {
			return 0, nil
		}
		wait := min(latest.Sub(r.now()), r.t.Params.Deadline.Sub(r.now())) + 10*time.Millisecond
		if wait > r.cfg.MaxWait {
			return wait, nil
		}
		if err := sleep(ctx, max(wait, 10*time.Millisecond)); err != nil {
			return 0, err
		}
		if r.now().After(r.t.Params.Deadline) {
			return time.Millisecond, nil // the next run fails the task with a timeout
		}
	}
}

// latestBoot describes the workers' instances, describeInFlight at a time,
// and returns when the last one not running yet will have booted (zero
// when all run), or the error of the first worker whose describe failed.
func (r *run) latestBoot(ctx context.Context, ws []ackscale.Worker) (time.Time, error) {
	boots := make([]time.Time, len(ws))
	errs := make([]error, len(ws))
	var g errgroup.Group
	g.SetLimit(describeInFlight)
	for i, w := range ws {
		if w.InstanceID == "" {
			continue // never created: the task fails before it waits
		}
		g.Go(func() error {
			in, err := r.cfg.Cloud.DescribeInstance(ctx, w.InstanceID)
			if err != nil {
				errs[i] = fmt.Errorf("describe instance %s: %w", w.InstanceID, err)
			} else if in.Status != ackscale.InstanceRunning {
				boots[i] = in.ReadyAt
			}
			return nil
		})
	}
	_ = g.Wait()
	for _, err := range errs {
		if err != nil {
			return time.Time{}, err
		}
	}
	var latest time.Time
	for _, b := range boots {
		if b.After(latest) {
			latest = b
		}
	}
	return latest, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// register makes w a Ready Node (with Kubernetes on) and a running worker.
func (r *run) register(ctx context.Context, w *ackscale.Worker) error {
	if w.State == ackscale.NodeRunning {
		return nil
	}
	wasNotReady := w.NodeStatus == ackscale.NodeNotReady
	w.State, w.NodeStatus = ackscale.NodeRunning, ackscale.NodeReady
	if r.cfg.Kube != nil {
		if err := r.notReadyFault(ctx, w, wasNotReady); err != nil {
			return err
		}
		if err := r.cfg.Kube.RegisterNode(ctx, r.c, *w); err != nil {
			return fmt.Errorf("register node %s: %w", w.NodeName, err)
		}
	}
	return r.cfg.Store.WorkerUpdate(ctx, *w)
}

// notReadyFault applies a node fault: the Node is registered NotReady and
// recovers after the fault's latency; with no latency the task snoozes
// until the fault stops firing or the task times out. The NotReady event
// is added once per Node, not at every run the fault keeps it NotReady.
func (r *run) notReadyFault(ctx context.Context, w *ackscale.Worker, wasNotReady bool) error {
	f, fired, err := r.cfg.Cloud.NodeFault(ctx, w.AccountID, w.RegionID, w.ZoneID, w.InstanceType)
	if err != nil || !fired {
		return err
	}
	down := *w
	down.State, down.NodeStatus = ackscale.NodeStarting, ackscale.NodeNotReady
	if err := r.cfg.Kube.RegisterNode(ctx, r.c, down); err != nil {
		return fmt.Errorf("register node %s: %w", w.NodeName, err)
	}
	if err := r.cfg.Store.WorkerUpdate(ctx, down); err != nil {
		return err
	}
	if !wasNotReady {
		r.event(ackscale.EventWarning, ackscale.ReasonNodeNotReady, fmt.Sprintf("node %s is NotReady (fault %s)", w.NodeName, f.ID))
	}
	if f.Latency == 0 {
		return river.JobSnooze(time.Second)
	}
	if err := sleep(ctx, f.Latency); err != nil {
		return err
	}
	r.event(ackscale.EventNormal, ackscale.ReasonNodeReady, fmt.Sprintf("node %s recovered", w.NodeName))
	return nil
}

// failScaleOut ends a failed scale-out: with rollback every instance the
// task created is released and its workers forgotten; without, failed and
// unfinished workers stay listed with the error.
func (r *run) failScaleOut(ctx context.Context, ws []ackscale.Worker, code, msg string) error {
	r.setError(code, msg)
	if !r.t.Params.ScaleOut.DisableRollback {
		// The error is saved with the rollback stage, before anything is
		// rolled back: a run that resumes finds both.
		if err := r.stage(ctx, ackscale.StageRollback); err != nil {
			return err
		}
		if err := r.rollback(ctx, ws); err != nil {
			return err
		}
		return r.finish(ctx, true) // the workers go with the task's end
	}
	if err := r.cfg.Store.TaskSave(ctx, r.t); err != nil {
		return err
	}
	if err := r.keepFailed(ctx, ws, msg); err != nil {
		return err
	}
	return r.finishFailed(ctx)
}

// rollback removes the Nodes of ws and releases their instances, by
// client token: an instance whose id was never recorded is found too,
// except for the tokens the cloud refused in this run, which have none. A
// worker with a recorded instance is forgotten once it is released, so
// the cluster's listing stays true while a long rollback runs; the others
// are forgotten when the task ends (finish), in its transaction.
func (r *run) rollback(ctx context.Context, ws []ackscale.Worker) error {
	for _, w := range ws {
		if r.unmade[w.ClientToken] {
			continue
		}
		if r.cfg.Kube != nil && w.InstanceID != "" {
			if err := r.cfg.Kube.RemoveNode(ctx, r.c.ID, w.NodeName, false); err != nil {
				return fmt.Errorf("rollback: %w", err)
			}
		}
		if err := r.cfg.Cloud.ReleaseByToken(ctx, w.ClientToken); err != nil {
			return fmt.Errorf("rollback: %w", err)
		}
		if w.InstanceID == "" {
			continue
		}
		if err := r.cfg.Store.WorkerDelete(ctx, w.ClientToken); err != nil {
			return fmt.Errorf("rollback: %w", err)
		}
	}
	r.event(ackscale.EventNormal, ackscale.ReasonRolledBack, fmt.Sprintf("released %d instances", len(ws)))
	return nil
}

func (r *run) keepFailed(ctx context.Context, ws []ackscale.Worker, msg string) error {
	for _, w := range ws {
		if w.State == ackscale.NodeRunning {
			continue
		}
		markFailed(&w, r.t.ErrorCode+": "+msg) // as a worker the cloud refused reads: "code: message"
		if err := r.cfg.Store.WorkerUpdate(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

// markFailed makes w a failed worker with its error (the first one kept).
// A worker whose instance was never created has no IP to be named by, so
// it is named by its client token in lower case (a node name is a DNS
// subdomain): it is listed, and can be removed, by that name.
func markFailed(w *ackscale.Worker, msg string) {
	w.State = ackscale.NodeFailed
	if w.ErrorMessage == "" {
		w.ErrorMessage = msg
	}
	if w.NodeName == "" {
		w.NodeName = strings.ToLower(w.ClientToken)
	}
}
