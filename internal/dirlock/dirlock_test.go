package dirlock

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// helperEnv makes the test binary act as a child that holds a lock.
const helperEnv = "DIRLOCK_TEST_HOLD"

// TestMain turns a re-executed test binary into the helper child: it takes
// the lock named by helperEnv, says so on stdout and waits to be killed.
func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		if _, err := Lock(path, "test dir"); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(2)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute) // killed long before
		os.Exit(3)
	}
	os.Exit(m.Run())
}

func TestLockExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	unlock, err := Lock(path, "DATA")
	require.NoError(t, err)

	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	_, err = Lock(path, "DATA")
	require.ErrorIs(t, err, syscall.EWOULDBLOCK)
	require.ErrorContains(t, err, "DATA is in use by another ackscale")
	require.ErrorContains(t, err, path)

	require.NoError(t, unlock())
	require.NoError(t, unlock(), "a second unlock is harmless")

	unlock2, err := Lock(path, "DATA")
	require.NoError(t, err, "free again after unlock")
	require.NoError(t, unlock2())
}

func TestLockDefaultsWhatToPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	unlock, err := Lock(path, "")
	require.NoError(t, err)
	defer unlock()
	_, err = Lock(path, "")
	require.ErrorContains(t, err, path+" is in use by another ackscale")
}

func TestLockMissingDir(t *testing.T) {
	_, err := Lock(filepath.Join(t.TempDir(), "no", "such", "lock"), "DATA")
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestLockReleasedWhenHolderKilled: a holder killed by SIGKILL, which runs
// no cleanup, still releases the lock.
func TestLockReleasedWhenHolderKilled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "the child exited before taking the lock")
	require.Equal(t, "locked\n", line)

	_, err = Lock(path, "DATA")
	require.ErrorIs(t, err, syscall.EWOULDBLOCK, "the child holds it")

	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	err = cmd.Wait()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	require.Equal(t, syscall.SIGKILL, exitErr.Sys().(syscall.WaitStatus).Signal())

	unlock, err := Lock(path, "DATA")
	require.NoError(t, err, "the kernel released the dead child's lock")
	require.NoError(t, unlock())
}
