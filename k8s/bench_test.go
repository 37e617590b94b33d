package k8s

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkNodes registers 1000 Nodes in one cluster, then measures one
// pass renewing all their Leases (what the per-cluster renewer does every
// 40 s). Run: go test ./k8s -run '^$' -bench Nodes -benchtime 3x
func BenchmarkNodes(b *testing.B) {
	// The background renewer stays out of the way: a renewal it makes while
	// renewAll runs is a conflict, which renewAll skips and the count misses.
	m, err := NewManager(Config{BinDir: benchBin(b), DataDir: b.TempDir(), Catalog: defaultCatalog(), LeaseInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := m.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	c := cluster("cbench", "containerd")
	if _, err := m.EnsureCluster(ctx, c); err != nil {
		b.Fatal(err)
	}
	const nodes = 1000
	b.Run("register", func(b *testing.B) {
		i := 0
		for b.Loop() {
			ip := fmt.Sprintf("192.168.%d.%d", 16+i/250, 3+i%250)
			if err := m.RegisterNode(ctx, c, worker("cn-hangzhou."+ip, ip, "ecs.c5.xlarge")); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	cs, err := m.client(ctx, c.ID)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; ; i++ { // top up to 1000 Nodes
		leases, err := cs.CoordinationV1().Leases(nodeLeaseNamespace).List(ctx, metav1ListAll)
		if err != nil {
			b.Fatal(err)
		}
		if len(leases.Items) >= nodes {
			break
		}
		ip := fmt.Sprintf("192.168.%d.%d", 40+i/250, 3+i%250)
		if err := m.RegisterNode(ctx, c, worker("cn-hangzhou."+ip, ip, "ecs.c5.xlarge")); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("renew-1000-leases", func(b *testing.B) {
		for b.Loop() {
			n, err := renewAll(ctx, cs)
			if err != nil || n < nodes {
				b.Fatalf("renewed %d: %v", n, err)
			}
		}
	})
}
