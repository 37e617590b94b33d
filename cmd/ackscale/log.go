package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"
)

// Log formats of --log-format.
const (
	logAuto = "auto" // text when stderr is a terminal, JSON otherwise
	logText = "text"
	logJSON = "json"
)

// newLogger returns the logger of --log-format and --log-level, writing to
// w. Text is log/slog's key=value format, for a person at a terminal; JSON
// is one object a line, for a log collector.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level=%s: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch resolveLogFormat(format, w) {
	case logText:
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case logJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format=%s: want text, json or auto", format)
}

// resolveLogFormat turns auto (or "") into text when w is a terminal and
// into JSON otherwise.
func resolveLogFormat(format string, w io.Writer) string {
	format = strings.ToLower(format)
	if format != logAuto && format != "" {
		return format
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return logText
	}
	return logJSON
}

// riverLogger is log for River: River's own messages at info (a queue
// started, a producer's stats) are routine for ackscale, so they go down to
// debug; its warnings and errors stay as they are.
func riverLogger(log *slog.Logger) *slog.Logger {
	return slog.New(demoteInfo{log.Handler()}).With("component", "river")
}

// demoteInfo logs info records at debug level.
type demoteInfo struct{ h slog.Handler }

func demote(l slog.Level) slog.Level {
	if l == slog.LevelInfo {
		return slog.LevelDebug
	}
	return l
}

func (d demoteInfo) Enabled(ctx context.Context, l slog.Level) bool {
	return d.h.Enabled(ctx, demote(l))
}

func (d demoteInfo) Handle(ctx context.Context, r slog.Record) error {
	r.Level = demote(r.Level)
	return d.h.Handle(ctx, r)
}

func (d demoteInfo) WithAttrs(as []slog.Attr) slog.Handler { return demoteInfo{d.h.WithAttrs(as)} }
func (d demoteInfo) WithGroup(name string) slog.Handler    { return demoteInfo{d.h.WithGroup(name)} }
