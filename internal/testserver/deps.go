package testserver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// moduleRoot is the folder of the module's go.mod, asked of go once.
var moduleRoot = sync.OnceValues(func() (string, error) {
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	return strings.TrimSpace(string(root)), nil
})

// KubeBin returns the folder make kube fills, bin at the module root. Under
// CI=true a missing kube-apiserver fails t; elsewhere it skips it.
func KubeBin(t testing.TB) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "bin")
	if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no kube-apiserver in %s: CI must build it (make kube-cached)", dir)
		}
		t.Skipf("no kube-apiserver in %s: run make kube", dir)
	}
	return dir
}

// NodeModules makes sure node and the npm packages of dir are there,
// running `npm ci` if node_modules is missing. Without them t is skipped,
// except under CI=true, where it fails.
func NodeModules(t testing.TB, dir string) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		missing(t, "node is not installed: %v", err)
	}
	marker := filepath.Join(dir, "node_modules", "@alicloud", "cs20151215", "package.json")
	if _, err := os.Stat(marker); err == nil {
		return
	}
	if _, err := exec.LookPath("npm"); err != nil {
		missing(t, "npm is not installed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		missing(t, "npm ci in %s: %v\n%s", dir, err, out)
	}
	if _, err := os.Stat(marker); err != nil {
		missing(t, "npm ci did not install @alicloud/cs20151215: %v", err)
	}
}

// missing fails t under CI=true, where every dependency must be there, and
// skips it elsewhere.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (set CI=true to make this a failure)", args...)
}
