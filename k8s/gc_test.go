package k8s

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAPIServerGC(t *testing.T) {
	limit := "GOMEMLIMIT=" + strconv.Itoa(apiserverMemoryLimit)
	tests := []struct {
		name    string
		percent int
		env     map[string]string
		want    []string
	}{
		{"default", DefaultAPIServerGCPercent, nil, []string{"GOGC=400", limit}},
		{"Go's default asked for", 100, nil, []string{"GOGC=100", limit}},
		{"GOGC in ackscale's environment: the percent still", 250, map[string]string{"GOGC": "off"}, []string{"GOGC=250", limit}},
		{"GOMEMLIMIT in ackscale's environment: inherited", 400, map[string]string{"GOMEMLIMIT": "1GiB"}, []string{"GOGC=400"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, apiserverGC(tt.percent, func(k string) string { return tt.env[k] }))
		})
	}
}

// requireGCEnv checks that the process whose pid the file holds runs with
// the garbage collector's settings apiserverGC gives.
func requireGCEnv(t *testing.T, pidFile string) {
	t.Helper()
	pid, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	environ, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/environ")
	require.NoError(t, err)
	vars := strings.Split(string(environ), "\x00")
	for _, kv := range apiserverGC(DefaultAPIServerGCPercent, os.Getenv) {
		require.Contains(t, vars, kv)
	}
}
