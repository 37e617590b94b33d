package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ackscale/ackscale"
)

// adminToken returns the admin token: ACKSCALE_ADMIN_TOKEN, else the one
// kept in DIR/admin-token (created once, mode 0600, written atomically). An
// empty file (left by an older ackscale killed while writing it) is made
// again when create is set, and refused otherwise.
func adminToken(dir string, create bool) (string, error) {
	if t := os.Getenv("ACKSCALE_ADMIN_TOKEN"); t != "" {
		return t, nil
	}
	path := filepath.Join(dir, "admin-token")
	b, err := os.ReadFile(path)
	tok := strings.TrimSpace(string(b))
	switch {
	case err == nil && tok != "":
		return tok, nil
	case err == nil && !create:
		return "", fmt.Errorf("admin token: %s is empty (restart serve to make a new one, or set ACKSCALE_ADMIN_TOKEN)", path)
	case err != nil && (!errors.Is(err, os.ErrNotExist) || !create):
		return "", fmt.Errorf("admin token: %w (set ACKSCALE_ADMIN_TOKEN or --data)", err)
	}
	_, tok = ackscale.NewAccessKey()
	if err := writeFileAtomic(path, []byte(tok+"\n")); err != nil {
		return "", fmt.Errorf("write admin token: %w", err)
	}
	return tok, nil
}

// writeFileAtomic writes a file of mode 0600 that is either whole or
// absent, even if the process is killed while writing it.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// adminClient calls the admin interface of a running server, found as the
// other client commands find it (--endpoint, ACKSCALE_ENDPOINT, a profile).
type adminClient struct {
	endpoint, addr, dir, profile string
}

// token is ACKSCALE_ADMIN_TOKEN, else the profile's, else DIR/admin-token.
func (a *adminClient) target() (baseURL, token string, err error) {
	p, err := loadProfile(a.profile)
	if err != nil {
		return "", "", err
	}
	f := clientFlags{endpoint: a.endpoint, addr: a.addr}
	ep, err := f.resolveEndpoint(p)
	if err != nil {
		return "", "", err
	}
	token = firstNonEmpty(os.Getenv("ACKSCALE_ADMIN_TOKEN"), p.AdminToken)
	if token == "" {
		dir := a.dir
		if dir == defaultDataDir && p.DataDir != "" {
			dir = p.DataDir
		}
		if token, err = adminToken(dir, false); err != nil {
			return "", "", err
		}
	}
	return strings.TrimSuffix(ep.String(), "/"), token, nil
}

func (a *adminClient) do(method, path string, in any) error {
	base, tok, err := a.target()
	if err != nil {
		return err
	}
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+"/admin/v1/"+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("admin %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("admin %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(out)))
	}
	_, err = os.Stdout.Write(out)
	return err
}

func newAdmin() *cobra.Command {
	a := &adminClient{}
	cmd := &cobra.Command{Use: "admin", Short: "Read and change the emulated cloud of a running server (stock, quotas, faults)",
		Long: `Read and change the emulated cloud of a running server. The admin API has
its own token: ACKSCALE_ADMIN_TOKEN, the profile's admin_token, or the
admin-token file in the server's data dir. docs/cloud.md says what each
setting does.`,
		Example: `  ackscale admin stock set --zone cn-hangzhou-g --type ecs.g6.large --capacity 2
  ackscale admin quota set --name workers_per_cluster --value 50
  ackscale admin fault add --op create --code OperationDenied.NoStock --count 1
  ackscale admin fault add --op start --never-running --type ecs.c5.xlarge
  ackscale admin instances
  ackscale admin check`}
	fl := cmd.PersistentFlags()
	fl.StringVar(&a.endpoint, "endpoint", "", "server address, host:port or a URL (env ACKSCALE_ENDPOINT; default "+defaultEndpoint+")")
	fl.StringVar(&a.addr, "addr", "", "same as --endpoint")
	fl.StringVar(&a.dir, "data", defaultDataDir, "data directory holding admin-token (or set ACKSCALE_ADMIN_TOKEN)")
	fl.StringVar(&a.profile, "profile", "", "profile of the config file to use (env ACKSCALE_PROFILE)")
	cmd.AddCommand(stockCmd(a), quotaCmd(a), faultCmd(a),
		&cobra.Command{Use: "instances", Short: "List every instance of the cloud", Args: cobra.NoArgs,
			Example: "  ackscale admin instances",
			RunE:    func(*cobra.Command, []string) error { return a.do("GET", "instances", nil) }},
		&cobra.Command{Use: "check", Short: "Count instances, workers and tasks, and leaks", Args: cobra.NoArgs,
			Example: "  ackscale admin check",
			RunE:    func(*cobra.Command, []string) error { return a.do("GET", "check", nil) }})
	return cmd
}

func stockCmd(a *adminClient) *cobra.Command {
	cmd := &cobra.Command{Use: "stock", Short: "Stock per zone × instance type", Example: "  ackscale admin stock list"}
	var o ackscale.StockOverride
	set := &cobra.Command{Use: "set", Short: "Set a zone × type's capacity (-1: back to the catalog's)", Args: cobra.NoArgs,
		Example: "  ackscale admin stock set --zone cn-hangzhou-g --type ecs.g6.large --capacity 0    # sold out\n" +
			"  ackscale admin stock set --zone cn-hangzhou-g --type ecs.g6.large --capacity -1   # the catalog's again",
		RunE: func(*cobra.Command, []string) error { return a.do("PUT", "stock", o) }}
	set.Flags().StringVar(&o.ZoneID, "zone", "", "zone id, or ENS region id")
	set.Flags().StringVar(&o.InstanceType, "type", "", "instance type")
	set.Flags().IntVar(&o.Capacity, "capacity", 0, "instances that may exist at once (0: sold out)")
	cmd.AddCommand(set, &cobra.Command{Use: "list", Short: "List limited zone × types and their use", Args: cobra.NoArgs,
		Example: "  ackscale admin stock list",
		RunE:    func(*cobra.Command, []string) error { return a.do("GET", "stock", nil) }})
	return cmd
}

func quotaCmd(a *adminClient) *cobra.Command {
	cmd := &cobra.Command{Use: "quota", Short: "Account quotas", Example: "  ackscale admin quota list"}
	var q ackscale.QuotaOverride
	set := &cobra.Command{Use: "set", Short: "Set a quota (-1: back to the catalog's)", Args: cobra.NoArgs,
		Example: "  ackscale admin quota set --name ecs_instances_per_region --value 10\n" +
			"  ackscale admin quota set --account 5000000000000001 --name workers_per_cluster --value -1",
		RunE: func(*cobra.Command, []string) error { return a.do("PUT", "quotas", q) }}
	set.Flags().StringVar(&q.AccountID, "account", "*", "account id (* = every account)")
	set.Flags().StringVar(&q.Name, "name", "", "ecs_instances_per_region | ecs_vcpus_per_region | ens_instances | workers_per_cluster")
	set.Flags().IntVar(&q.Value, "value", 0, "the limit")
	var account string
	list := &cobra.Command{Use: "list", Short: "List overrides (and an account's quotas in force)", Args: cobra.NoArgs,
		Example: "  ackscale admin quota list --account 5000000000000001",
		RunE:    func(*cobra.Command, []string) error { return a.do("GET", "quotas?account_id="+account, nil) }}
	list.Flags().StringVar(&account, "account", "", "also show this account's quotas in force")
	cmd.AddCommand(set, list)
	return cmd
}

func faultCmd(a *adminClient) *cobra.Command {
	cmd := &cobra.Command{Use: "fault", Short: "Injected faults", Example: "  ackscale admin fault list"}
	var f ackscale.Fault
	add := &cobra.Command{Use: "add", Short: "Add a fault", Args: cobra.NoArgs,
		Example: "  ackscale admin fault add --op create --code OperationDenied.NoStock --count 1\n" +
			"  ackscale admin fault add --op start --latency 30s --probability 0.5\n" +
			"  ackscale admin fault add --op node --type ecs.g6.large",
		RunE: func(*cobra.Command, []string) error { return a.do("POST", "faults", f) }}
	fl := add.Flags()
	fl.StringVar((*string)(&f.Operation), "op", "create", "create | start | release | node")
	fl.StringVar(&f.RegionID, "region", "", "only this region (ECS or ENS)")
	fl.StringVar(&f.ZoneID, "zone", "", "only this zone")
	fl.StringVar(&f.InstanceType, "type", "", "only this instance type")
	fl.StringVar(&f.AccountID, "account", "", "only this account")
	fl.StringVar(&f.Code, "code", "", "error code returned, e.g. OperationDenied.NoStock, QuotaExceeded, InternalError")
	fl.StringVar(&f.Message, "message", "", "error message")
	fl.Float64Var(&f.Probability, "probability", 0, "chance of firing per call (0: always)")
	fl.IntVar(&f.Count, "count", 0, "fire this many times, then stop (0: without end)")
	fl.DurationVar(&f.Latency, "latency", 0, "latency added to the call or the boot")
	fl.BoolVar(&f.NeverRunning, "never-running", false, "start: the instance never becomes Running")
	del := &cobra.Command{Use: "delete ID", Short: "Delete a fault", Args: cobra.ExactArgs(1),
		Example: "  ackscale admin fault delete f-2db91a2e03279dc602c63cd3   # an id from fault list",
		RunE:    func(_ *cobra.Command, args []string) error { return a.do("DELETE", "faults/"+args[0], nil) }}
	cmd.AddCommand(add, del,
		&cobra.Command{Use: "list", Short: "List faults", Args: cobra.NoArgs, Example: "  ackscale admin fault list",
			RunE: func(*cobra.Command, []string) error { return a.do("GET", "faults", nil) }},
		&cobra.Command{Use: "clear", Short: "Delete every fault", Args: cobra.NoArgs, Example: "  ackscale admin fault clear",
			RunE: func(*cobra.Command, []string) error { return a.do("DELETE", "faults", nil) }})
	return cmd
}
