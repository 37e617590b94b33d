package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ackscale/ackscale/internal/dirlock"
)

// dataDirMarkers are files and folders only an ackscale data dir has: reset
// deletes no folder without one of them.
var dataDirMarkers = []string{"ackscale.db", "default-key.json", "admin-token", "serve.lock", "secret.key", "tls", "kube"}

func newReset() *cobra.Command {
	var dir string
	var yes bool
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Delete the data dir: every cluster, task, account and key (asks first)",
		Long: `Delete the data directory of a server that is not running: its database
(clusters, node pools, tasks, accounts), the default key, the admin token,
the CA and every cluster's etcd data. The next ` + "`ackscale serve`" + ` starts afresh
(with a new default key, unless ACKSCALE_ACCESS_KEY_ID/SECRET set one).

It refuses while a serve uses the directory (it holds the directory's lock):
stop that server first; reset stops nothing it did not start. It asks before
deleting, unless --yes.`,
		Example: `  # stop the server (Ctrl-C in its terminal), then
  ackscale reset
  ackscale reset --yes --data /tmp/ackscale-data`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return reset(dir, yes, cmd.InOrStdin(), cmd.ErrOrStderr(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&dir, "data", defaultDataDir, "data directory to delete")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask")
	return cmd
}

// reset deletes dir after a confirmation read from in (prompted on prompt),
// unless yes, holding dir's locks so that no serve starts meanwhile.
func reset(dir string, yes bool, in io.Reader, prompt, out io.Writer) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(out, "nothing to reset: %s does not exist\n", dir)
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() || !isDataDir(dir) {
		return fmt.Errorf("%s does not look like an ackscale data dir (none of %s): not deleting it",
			dir, strings.Join(dataDirMarkers, ", "))
	}
	unlock, err := lockDataDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	if !yes {
		fmt.Fprintf(prompt, "Delete %s and everything in it (clusters, tasks, accounts, keys, CA)? [y/N] ", dir)
		answer, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && answer == "" {
			return errors.New("no answer on stdin: nothing deleted (--yes deletes without asking)")
		}
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return errors.New("not confirmed: nothing deleted")
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	fmt.Fprintf(out, "deleted %s: the next `ackscale serve` starts afresh\n", dir)
	return nil
}

func isDataDir(dir string) bool {
	for _, m := range dataDirMarkers {
		if _, err := os.Stat(filepath.Join(dir, m)); err == nil {
			return true
		}
	}
	return false
}

// lockDataDir takes the locks serve and its Kubernetes manager hold, so a
// running serve makes reset fail, and a serve started during reset fails.
func lockDataDir(dir string) (func(), error) {
	unlock, err := dirlock.Lock(filepath.Join(dir, "serve.lock"), dir)
	if err != nil {
		return nil, inUse(dir, err)
	}
	kube := filepath.Join(dir, "kube", "lock")
	if _, err := os.Stat(kube); err != nil {
		return func() { _ = unlock() }, nil
	}
	unlockKube, err := dirlock.Lock(kube, dir)
	if err != nil {
		_ = unlock()
		return nil, inUse(dir, err)
	}
	return func() { _ = unlockKube(); _ = unlock() }, nil
}

func inUse(dir string, err error) error {
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return fmt.Errorf("%s is in use by a running `ackscale serve`: stop it first (reset stops nothing it did not start)", dir)
	}
	return err
}
