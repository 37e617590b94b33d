package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// checkpointEvery is how often the checkpointer copies the WAL into the
// database file. Between two, the WAL grows by what was committed (a few
// MB under load); readers read it meanwhile.
const checkpointEvery = time.Second

// checkpointer runs SQLite's checkpoints on a connection of its own, off
// the writer: the writer's connection has wal_autocheckpoint(0). A PASSIVE
// checkpoint copies the frames no reader still needs and waits for no one;
// neither the writer nor the readers wait for it. SQLite still checkpoints
// the whole WAL when the last connection closes.
type checkpointer struct {
	db   *sql.DB
	log  *slog.Logger
	stop chan struct{}
	wg   sync.WaitGroup
}

func newCheckpointer(dsn string, log *slog.Logger) (*checkpointer, error) {
	db, err := openPool(dsn, 1)
	if err != nil {
		return nil, err
	}
	c := &checkpointer{db: db, log: log, stop: make(chan struct{})}
	c.wg.Go(c.loop)
	return c, nil
}

func (c *checkpointer) loop() {
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
			if _, err := c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				c.log.Warn("checkpoint", "err", err)
			}
		}
	}
}

// close stops the checkpoints and closes the connection.
func (c *checkpointer) close() error {
	close(c.stop)
	c.wg.Wait()
	return c.db.Close()
}
