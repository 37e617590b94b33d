package k8s

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// scripted is a listener the kernel gave a scripted port.
type scripted struct{ port int }

func (s scripted) Accept() (net.Conn, error) { return nil, net.ErrClosed }
func (s scripted) Close() error              { return nil }
func (s scripted) Addr() net.Addr            { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: s.port} }

// picks returns a listen func that hands out ports in order.
func picks(ports ...int) func() (net.Listener, error) {
	var mu sync.Mutex
	return func() (net.Listener, error) {
		mu.Lock()
		defer mu.Unlock()
		p := ports[0]
		ports = ports[1:]
		return scripted{p}, nil
	}
}

// The kernel may pick a port it picked before once its listener is
// closed: the book never gives one port to two names, nor a port the files
// of an earlier run keep, and a name keeps its ports.
func TestPortBookNeverGivesAPortTwice(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "clusters", "old"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "clusters", "old", "apiserver.ports"), []byte("[7000]"), 0o600))
	b := &portBook{dir: dir, listen: picks(7000, 7001, 7001, 7002, 7001, 7002, 7003)}

	etcd, err := b.ports("etcd", 2)
	require.NoError(t, err)
	require.Equal(t, []int{7001, 7002}, etcd, "7000 is an earlier run's; 7001 once")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "clusters", "a"), 0o700))
	a, err := b.ports(filepath.Join("clusters", "a", "apiserver"), 1)
	require.NoError(t, err)
	require.Equal(t, []int{7003}, a, "7001 and 7002 are etcd's")

	again, err := b.ports("etcd", 2)
	require.NoError(t, err)
	require.Equal(t, etcd, again, "a name keeps its ports")
	kept, ok := readPorts(filepath.Join(dir, "clusters", "a", "apiserver.ports"))
	require.True(t, ok)
	require.Equal(t, a, kept)
}

// Real picks, many at once: every name gets ports no other name has.
func TestPortBookConcurrentPicks(t *testing.T) {
	dir := t.TempDir()
	b := &portBook{dir: dir}
	const names = 64
	got := make([][]int, names)
	var wg sync.WaitGroup
	for i := range names {
		wg.Go(func() {
			var err error
			got[i], err = b.ports(fmt.Sprint("n", i), 2)
			require.NoError(t, err)
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, ports := range got {
		for _, p := range ports {
			require.False(t, seen[p], "port %d given twice", p)
			seen[p] = true
		}
	}
}
