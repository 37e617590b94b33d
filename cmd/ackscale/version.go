package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"time"

	"github.com/spf13/cobra"
)

// versionInfo is what `ackscale version` reports.
type versionInfo struct {
	Client struct {
		Version string `json:"version"`
		Go      string `json:"go"`
		OS      string `json:"os"`
	} `json:"client"`
	Server struct {
		Endpoint string `json:"endpoint"`
		Version  string `json:"version,omitempty"`
		Error    string `json:"error,omitempty"`
	} `json:"server"`
}

func newVersion(g *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of this binary and of the server it would talk to",
		Long: `Print this binary's version (its module version, or the VCS revision it was
built from) and that of the server at the endpoint, read from GET /, which
needs no key. An unreachable server is reported, not an error.`,
		Example: `  ackscale version
  ackscale version --endpoint 127.0.0.1:9797 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(g.output); err != nil {
				return err
			}
			p, err := loadProfile(g.profile)
			if err != nil {
				return err
			}
			ep, err := g.resolveEndpoint(p)
			if err != nil {
				return err
			}
			var v versionInfo
			v.Client.Version, v.Client.Go, v.Client.OS = version(), runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH
			v.Server.Endpoint = ep.String()
			if sv, err := serverVersion(ep.String()); err != nil {
				v.Server.Error = err.Error()
			} else {
				v.Server.Version = sv
			}
			if g.output == outJSON {
				return printJSON(cmd.OutOrStdout(), v)
			}
			return printVersion(cmd.OutOrStdout(), v)
		},
	}
}

func printVersion(w io.Writer, v versionInfo) error {
	fmt.Fprintf(w, "ackscale %s (%s %s)\n", v.Client.Version, v.Client.Go, v.Client.OS)
	if v.Server.Error != "" {
		_, err := fmt.Fprintf(w, "server at %s: not reachable: %s\n", v.Server.Endpoint, v.Server.Error)
		return err
	}
	_, err := fmt.Fprintf(w, "server at %s: ackscale %s\n", v.Server.Endpoint, v.Server.Version)
	return err
}

// serverVersion reads the version GET / reports.
func serverVersion(base string) (string, error) {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(base + "/")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var idx struct {
		Service string `json:"service"`
		Version string `json:"version"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&idx); err != nil || idx.Service != "ackscale" {
		return "", fmt.Errorf("GET / answered %s, not ackscale's index", resp.Status)
	}
	return idx.Version, nil
}
