// Package dirlock keeps two ackscale processes off the same data
// directory.
//
// It uses flock(2) rather than a pid file or an O_EXCL marker file
// because the kernel releases a flock when the last descriptor of the
// open file closes, which happens when the process dies however it dies,
// SIGKILL included. A crashed or killed ackscale therefore never leaves a
// stale lock behind that a person would have to find and delete, and no
// pid has to be checked for reuse. The lock file itself stays on disk; it
// is the lock on it that matters, and it is empty.
//
// The descriptor is opened close-on-exec (as os.OpenFile always does), so
// children such as etcd or kube-apiserver do not inherit it and cannot keep
// the lock alive after ackscale is gone.
package dirlock

import (
	"fmt"
	"os"
	"sync"
	"syscall"
)

// Lock takes an exclusive, non-blocking flock on the file at path,
// creating it (mode 0600) if needed; its directory must exist. what names
// the thing the lock guards in the error, usually the data directory (the
// path itself when empty).
//
// If another process holds the lock, Lock fails at once with an error
// saying what is in use by another ackscale; the error wraps the flock
// error (syscall.EWOULDBLOCK). On success, unlock closes the file, which
// releases the lock; calling it again does nothing and returns the result
// of the first call. Locks are per open file, so a second Lock on the same
// path fails even within one process until unlock is called.
func Lock(path, what string) (unlock func() error, err error) {
	if what == "" {
		what = path
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", what, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is in use by another ackscale (flock %s: %w)", what, path, err)
	}
	return sync.OnceValue(f.Close), nil
}
