package k8s

import (
	"os"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ackscale/ackscale/catalog"
)

var metav1ListAll = metav1.ListOptions{}

func defaultCatalog() *catalog.Catalog { return catalog.Default() }

func benchBin(b *testing.B) string {
	dir, _ := filepath.Abs("../bin")
	if !BinariesPresent(dir) {
		if os.Getenv("CI") == "true" {
			b.Fatalf("no kube binaries in %s", dir)
		}
		b.Skipf("no kube binaries in %s: run make kube", dir)
	}
	return dir
}
