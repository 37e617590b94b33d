package k8s

import (
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/tools/clientcmd"
)

func TestKubeconfig(t *testing.T) {
	ca := pemBlock("CERTIFICATE", []byte("not really a certificate"))
	b, err := kubeconfig("ackscale-c1234", "https://127.0.0.1:40123", ca, "s3cret")
	require.NoError(t, err)

	cfg, err := clientcmd.Load(b)
	require.NoError(t, err)
	require.Equal(t, "ackscale-c1234", cfg.CurrentContext)
	ctx := cfg.Contexts["ackscale-c1234"]
	require.NotNil(t, ctx)
	require.Equal(t, "ackscale-c1234", ctx.Cluster)
	require.Equal(t, "ackscale-c1234-admin", ctx.AuthInfo)
	cl := cfg.Clusters["ackscale-c1234"]
	require.NotNil(t, cl)
	require.Equal(t, "https://127.0.0.1:40123", cl.Server)
	require.Equal(t, ca, cl.CertificateAuthorityData)
	user := cfg.AuthInfos["ackscale-c1234-admin"]
	require.NotNil(t, user)
	require.Equal(t, "s3cret", user.Token)
	require.Len(t, cfg.Clusters, 1)
	require.Len(t, cfg.AuthInfos, 1)
	require.Len(t, cfg.Contexts, 1)

	// What kubectl and client-go make of it.
	rc, err := clientcmd.RESTConfigFromKubeConfig(b)
	require.NoError(t, err)
	require.Equal(t, "https://127.0.0.1:40123", rc.Host)
	require.Equal(t, ca, rc.CAData)
	require.Equal(t, "s3cret", rc.BearerToken)

	// The same shape the hand-written YAML had.
	s := string(b)
	require.Contains(t, s, "apiVersion: v1\n")
	require.Contains(t, s, "kind: Config\n")
	require.Contains(t, s, "current-context: ackscale-c1234\n")
	require.Contains(t, s, "certificate-authority-data: ")
}
