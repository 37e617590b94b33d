package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// accepted is the answer of an operation that starts a task.
type accepted struct {
	ClusterID  string `json:"cluster_id"`
	NodepoolID string `json:"nodepool_id"`
	RequestID  string `json:"request_id"`
	TaskID     string `json:"task_id"`
}

// longOp is a command that starts a task: it sends the request, prints the
// answer, and (unless --no-wait) waits for the task, showing its progress.
type longOp struct {
	g     *clientFlags
	wait  waitFlags
	quiet bool
	// idOf is what -q prints (the new cluster's or pool's id).
	idOf func(accepted) string
}

func (o *longOp) addFlags(cmd *cobra.Command) {
	o.wait.add(cmd.Flags())
	if o.idOf != nil {
		cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "print only the new id (after the task succeeded, unless --no-wait), for scripts")
	}
}

// run sends the request send makes with the command's API client.
func (o *longOp) run(cmd *cobra.Command, send func(a *api) ([]byte, error)) error {
	a, err := o.g.readAPI()
	if err != nil {
		return err
	}
	w, err := o.wait.waiter(cmd, a, o.quiet)
	if err != nil {
		return err
	}
	start := time.Now()
	raw, err := send(a)
	if err != nil {
		return err
	}
	var acc accepted
	if err := json.Unmarshal(raw, &acc); err != nil {
		return fmt.Errorf("read the answer: %w", err)
	}
	out := cmd.OutOrStdout()
	if !o.quiet {
		if err := printAccepted(out, o.g.output, raw, acc); err != nil {
			return err
		}
	}
	if !o.wait.noWait && acc.TaskID != "" {
		if _, err := w.wait(cmd.Context(), acc.TaskID, start); err != nil {
			return err
		}
	}
	if o.quiet {
		_, err = fmt.Fprintln(out, o.idOf(acc))
	}
	return err
}

func printAccepted(w io.Writer, format string, raw []byte, acc accepted) error {
	if format == outJSON {
		return printJSON(w, raw)
	}
	var fields [][2]string
	for _, f := range [][2]string{{"cluster_id", acc.ClusterID}, {"nodepool_id", acc.NodepoolID}, {"task_id", acc.TaskID},
		{"request_id", acc.RequestID}} {
		if f[1] != "" {
			fields = append(fields, f)
		}
	}
	return printFields(w, fields)
}

// body is a request body: --body FILE (- for stdin) if given, with the
// fields of flags set on top.
type body map[string]any

// readBody reads --body; an empty path is an empty body.
func readBody(path string, stdin io.Reader) (body, error) {
	b := body{}
	if path == "" {
		return b, nil
	}
	var raw []byte
	var err error
	if path == "-" {
		raw, err = io.ReadAll(stdin)
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("--body: %w", err)
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("--body %s: a JSON object: %w", path, err)
	}
	return b, nil
}

// set puts v at a dotted path (scaling_group.desired_size), making the
// objects on the way.
func (b body) set(path string, v any) {
	m := map[string]any(b)
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

// has says whether the body has a value at path.
func (b body) has(path string) bool {
	m := map[string]any(b)
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			return false
		}
		m = next
	}
	_, ok := m[keys[len(keys)-1]]
	return ok
}

func (b body) json() []byte {
	raw, _ := json.Marshal(b) // a map of decoded JSON and flag values always encodes
	return raw
}

// keyValues reads KEY=VALUE flags into [{key, value}] objects.
func keyValues(flag string, vs []string) ([]map[string]string, error) {
	out := make([]map[string]string, 0, len(vs))
	for _, v := range vs {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--%s %q: want KEY=VALUE", flag, v)
		}
		out = append(out, map[string]string{"key": k, "value": val})
	}
	return out, nil
}

// taints reads KEY=VALUE:EFFECT flags into taint objects.
func taints(vs []string) ([]map[string]string, error) {
	out := make([]map[string]string, 0, len(vs))
	for _, v := range vs {
		kv, effect, ok := strings.Cut(v, ":")
		k, val, _ := strings.Cut(kv, "=")
		if !ok || k == "" || effect == "" {
			return nil, fmt.Errorf("--taint %q: want KEY=VALUE:EFFECT (NoSchedule, PreferNoSchedule or NoExecute)", v)
		}
		out = append(out, map[string]string{"key": k, "value": val, "effect": effect})
	}
	return out, nil
}
