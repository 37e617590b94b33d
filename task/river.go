package task

import (
	"cmp"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// RiverConfig configures River's client for ackscale's tasks: how fast it
// picks up jobs, how long one run may take, and how often a failing job is
// retried (Worker.NextRetry spaces the retries; the last attempt ends the
// task failed). workers nil makes an insert-only client.
type RiverConfig struct {
	Workers *river.Workers
	Logger  *slog.Logger
	// PollInterval is how often River looks for new jobs (default 100 ms;
	// SQLite has no LISTEN/NOTIFY, so this bounds the start latency).
	PollInterval time.Duration
	// MaxWorkers is how many jobs run at once (default and minimum 20).
	MaxWorkers int
	// ClientID names this client in the jobs it runs (river_job's
	// attempted_by): each replica's own, so that the jobs a dead replica
	// was running can be found. "": River's default (host name and time).
	ClientID string
}

// Config returns River's configuration.
func (c RiverConfig) Config() *river.Config {
	rc := &river.Config{
		Logger:               cmp.Or(c.Logger, slog.New(slog.DiscardHandler)),
		FetchPollInterval:    cmp.Or(c.PollInterval, 100*time.Millisecond),
		FetchCooldown:        20 * time.Millisecond,
		JobTimeout:           2 * time.Minute,
		RescueStuckJobsAfter: 3 * time.Minute,
		MaxAttempts:          100,
		ID:                   c.ClientID,
	}
	if c.Workers != nil {
		rc.Workers = c.Workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(c.MaxWorkers, 20)}}
	}
	return rc
}
