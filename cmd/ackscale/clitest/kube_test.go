package clitest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// kubeBin is the folder make kube fills; under CI=true a missing build
// fails the test, elsewhere it skips it.
func kubeBin(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../../bin")
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no kube-apiserver in %s: CI must build it (make kube-cached)", dir)
		}
		t.Skipf("no kube-apiserver in %s: run make kube", dir)
	}
	return dir
}

func execKubectl(bin, kubeconfig string) (string, error) {
	out, err := exec.Command(filepath.Join(bin, "kubectl"), "--kubeconfig", kubeconfig, "get", "nodes").CombinedOutput()
	return string(out), err
}
