package k8s

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"sync"
)

// portBook hands out the loopback ports of the manager's processes (etcd,
// each cluster's API server), kept in DIR/NAME.ports so that restarts reuse
// them and kubeconfigs stay valid. A port is never given to two names:
// free ports are picked by listening on port 0, and the kernel may pick a
// port again once its listener is closed — two clusters created at once
// were given the same port, and one API server could never start. So the
// book remembers every port it gave, and every port the files of earlier
// runs keep (read before its first pick).
type portBook struct {
	dir    string
	listen func() (net.Listener, error) // nil: a TCP listener on 127.0.0.1, port 0
	mu     sync.Mutex
	loaded bool
	given  map[int]bool
}

// ports returns name's n ports: those its file keeps, or free ones no
// other name has, written to its file.
func (b *portBook) ports(name string, n int) ([]int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.load()
	path := filepath.Join(b.dir, name+".ports")
	if ports, ok := readPorts(path); ok && len(ports) == n {
		return ports, nil
	}
	ports := make([]int, 0, n)
	var lns []net.Listener // held open until all are picked: one call never gets a port twice
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for len(ports) < n {
		ln, err := b.listenFree()
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		if p := ln.Addr().(*net.TCPAddr).Port; !b.given[p] {
			b.given[p] = true
			ports = append(ports, p)
		}
	}
	data, _ := json.Marshal(ports)
	return ports, os.WriteFile(path, data, 0o600)
}

func (b *portBook) listenFree() (net.Listener, error) {
	if b.listen != nil {
		return b.listen()
	}
	return net.Listen("tcp", "127.0.0.1:0")
}

// load notes the ports the files of earlier runs keep, once.
func (b *portBook) load() {
	if b.loaded {
		return
	}
	b.loaded, b.given = true, map[int]bool{}
	files, _ := filepath.Glob(filepath.Join(b.dir, "*.ports"))
	more, _ := filepath.Glob(filepath.Join(b.dir, "clusters", "*", "*.ports"))
	for _, f := range append(files, more...) {
		ports, _ := readPorts(f)
		for _, p := range ports {
			b.given[p] = true
		}
	}
}

// readPorts reads a ports file.
func readPorts(path string) ([]int, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var ports []int
	if json.Unmarshal(data, &ports) != nil {
		return nil, false
	}
	return ports, true
}
