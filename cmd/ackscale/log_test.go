package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestNewLoggerLevels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		level      string
		enabled    slog.Level
		notEnabled slog.Level
	}{
		{level: "debug", enabled: slog.LevelDebug, notEnabled: slog.LevelDebug - 1},
		{level: "info", enabled: slog.LevelInfo, notEnabled: slog.LevelDebug},
		{level: "WARN", enabled: slog.LevelWarn, notEnabled: slog.LevelInfo},
		{level: "error", enabled: slog.LevelError, notEnabled: slog.LevelWarn},
	} {
		l, err := newLogger(&bytes.Buffer{}, logJSON, tt.level)
		require.NoError(t, err, tt.level)
		require.True(t, l.Enabled(ctx, tt.enabled), tt.level)
		require.False(t, l.Enabled(ctx, tt.notEnabled), tt.level)
	}
}

func TestNewLoggerRefusesBadFlags(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ format, level, want string }{
		{format: logJSON, level: "loud", want: "--log-level=loud"},
		{format: logJSON, level: "", want: "--log-level="},
		{format: "xml", level: "info", want: "--log-format=xml"},
	} {
		_, err := newLogger(&bytes.Buffer{}, tt.format, tt.level)
		require.ErrorContains(t, err, tt.want)
	}
}

// TestNewLoggerFormats: text is key=value, JSON one object a line; auto is
// JSON on anything but a terminal.
func TestNewLoggerFormats(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		format string
		json   bool
	}{
		{format: logText}, {format: "TEXT"}, {format: logJSON, json: true}, {format: logAuto, json: true}, {format: "", json: true},
	} {
		var buf bytes.Buffer
		l, err := newLogger(&buf, tt.format, "info")
		require.NoError(t, err, tt.format)
		l.Info("hello", "request_id", "r-1")
		if tt.json {
			var line map[string]any
			require.NoError(t, json.Unmarshal(buf.Bytes(), &line), buf.String())
			require.Equal(t, "hello", line["msg"])
			require.Equal(t, "r-1", line["request_id"])
			continue
		}
		require.Contains(t, buf.String(), "level=INFO msg=hello request_id=r-1", tt.format)
	}
}

// TestResolveLogFormatOnTerminal: auto is text on a terminal (a
// pseudo-terminal here) and JSON on a file.
func TestResolveLogFormatOnTerminal(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, logJSON, resolveLogFormat(logAuto, f))
	require.Equal(t, logText, resolveLogFormat(logText, f))

	tty := openPTY(t)
	require.Equal(t, logText, resolveLogFormat(logAuto, tty))
	require.Equal(t, logText, resolveLogFormat("", tty))
	require.Equal(t, logJSON, resolveLogFormat(logJSON, tty))
}

// openPTY opens a pseudo-terminal and returns its terminal end.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { ptmx.Close() })
	require.NoError(t, unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0)) // unlockpt
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	require.NoError(t, err)
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { tty.Close() })
	return tty
}

// TestRiverLogger: River's info lines are debug lines; its warnings stay.
func TestRiverLogger(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		level string
		want  []string // the lines written, as "LEVEL msg"
	}{
		{level: "info", want: []string{"WARN warned", "ERROR failed"}},
		{level: "debug", want: []string{"DEBUG chatty", "DEBUG started", "WARN warned", "ERROR failed"}},
	} {
		var buf bytes.Buffer
		l, err := newLogger(&buf, logJSON, tt.level)
		require.NoError(t, err)
		rl := riverLogger(l).With("queue", "default").WithGroup("g")
		rl.Debug("chatty")
		rl.Info("started", "n", 1)
		rl.Warn("warned")
		rl.Error("failed")
		var got []string
		for line := range strings.Lines(buf.String()) {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &m))
			require.Equal(t, "river", m["component"], line)
			require.Equal(t, "default", m["queue"], line)
			got = append(got, fmt.Sprintf("%s %s", m["level"], m["msg"]))
		}
		require.Equal(t, tt.want, got, tt.level)
	}
}
