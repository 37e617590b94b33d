package clitest

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/testserver"
)

// TestProgressOnTerminal runs a scale-out with stderr on a pseudo-terminal:
// the live display redraws one line in place (cursor up, erase), its frames
// change as the task goes (stage, counts, time), the last shows the bar
// full, and the summary line follows it. Stdout, not a terminal, gets the
// answer only.
func TestProgressOnTerminal(t *testing.T) {
	t.Parallel()
	c := newCLI(t, start(t, "--kube=off", "--boot-latency", "1500ms"))
	id := c.createCluster("tty")

	out, frames, summary, code := runOnPTY(t, c, "scale-out", id, "--count", "2")
	require.Zero(t, code, "frames:\n%s", strings.Join(frames, "\n"))
	require.Regexp(t, `(?m)^task_id:\s+T-[0-9a-f]+$`, out)
	require.NotContains(t, out, "\x1b", "stdout is not the terminal: no escapes there")

	require.GreaterOrEqual(t, len(frames), 3, "frames:\n%s", strings.Join(frames, "\n"))
	distinct := map[string]bool{}
	for _, f := range frames {
		distinct[f] = true
	}
	require.GreaterOrEqual(t, len(distinct), 3, "the frames change:\n%s", strings.Join(frames, "\n"))
	joined := strings.Join(frames, "\n")
	require.Contains(t, joined, "cluster_scaleout wait_running")
	require.Regexp(t, `2 requested, 2 created, [0-2] running, 0 Ready · [0-9.]+m?s`, joined)
	last := frames[len(frames)-1]
	require.Regexp(t, `^cluster_scaleout success\s+\[=+\] 2 requested, 2 created, 2 running, 2 Ready · [0-9.]+m?s`, last)
	require.Regexp(t, `^task T-[0-9a-f]+ \(cluster_scaleout\) succeeded in [0-9.]+m?s; 2 requested, 2 created, 2 running, 2 Ready$`, summary)

	// A failure: the bar stops where it was, the summary says why, exit 1.
	// The create waits 1.5 s before it is refused, so the display draws
	// more than one frame whatever the machine's speed.
	c.ok("admin", "fault", "add", "--op", "create", "--code", "OperationDenied.NoStock", "--latency", "1500ms")
	_, frames, summary, code = runOnPTY(t, c, "scale-out", id, "--count", "1")
	require.Equal(t, 1, code)
	require.NotEmpty(t, frames)
	require.Contains(t, frames[len(frames)-1], "cluster_scaleout failed")
	require.Regexp(t, `^task T-[0-9a-f]+ \(cluster_scaleout\) failed after .* OperationDenied\.NoStock`, summary)
}

// ansi matches the escapes the display draws with.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// runOnPTY runs the binary with stderr on a 40×160 pseudo-terminal and
// returns stdout, the frames drawn on the terminal (each redraw of the
// line, escapes removed), the last line (the summary) and the exit code.
func runOnPTY(t *testing.T, c *cli, args ...string) (stdout string, frames []string, summary string, code int) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	require.NoError(t, pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 160}))
	cmd := exec.Command(testserver.Binary(t), args...)
	cmd.Env, cmd.Dir = c.env, c.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, tty
	require.NoError(t, cmd.Start())
	tty.Close() // the child has it; EOF (EIO) on ptmx once it exits
	var screen bytes.Buffer
	done := make(chan error, 1)
	go func() { _, err := io.Copy(&screen, ptmx); done <- err }()
	werr := cmd.Wait()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, syscall.EIO) {
			require.NoError(t, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal was not closed")
	}
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, werr)
	}
	raw := strings.ReplaceAll(screen.String(), "\r\n", "\n")
	require.Contains(t, raw, "\x1b[1A\x1b[J", "the display redraws in place:\n%q", raw)
	lines := strings.Split(strings.TrimRight(raw, "\n"), "\n")
	summary = lines[len(lines)-1]
	for _, l := range lines[:len(lines)-1] {
		if f := strings.TrimSpace(ansi.ReplaceAllString(l, "")); f != "" {
			frames = append(frames, f)
		}
	}
	return out.String(), frames, summary, code
}
