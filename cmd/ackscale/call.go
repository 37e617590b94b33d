package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ackscale/ackscale/internal/acsclient"
)

// clientFlags find a running server and the default account's key:
// ACKSCALE_ACCESS_KEY_ID/SECRET, else DATA_DIR/default-key.json.
type clientFlags struct{ addr, dir string }

func (f *clientFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.addr, "addr", "127.0.0.1:9696", "address of the running server")
	cmd.Flags().StringVar(&f.dir, "data", "./ackscale-data", "data directory holding default-key.json")
}

func (f *clientFlags) client() (*acsclient.Client, error) {
	k := keyFile{AccessKeyID: os.Getenv("ACKSCALE_ACCESS_KEY_ID"), AccessKeySecret: os.Getenv("ACKSCALE_ACCESS_KEY_SECRET")}
	if k.AccessKeyID == "" {
		b, err := os.ReadFile(filepath.Join(f.dir, "default-key.json"))
		if err != nil {
			return nil, fmt.Errorf("no key: set ACKSCALE_ACCESS_KEY_ID/SECRET or --data: %w", err)
		}
		if err := json.Unmarshal(b, &k); err != nil {
			return nil, err
		}
	}
	return &acsclient.Client{BaseURL: "http://" + f.addr, AccessKeyID: k.AccessKeyID, Secret: k.AccessKeySecret}, nil
}

func newCall() *cobra.Command {
	var f clientFlags
	var wait bool
	cmd := &cobra.Command{
		Use:   "call METHOD PATH [JSON-BODY]",
		Short: "Send one signed request (ACS3) to a running server and print the answer",
		Args:  cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			var body any
			if len(args) == 3 {
				body = []byte(args[2])
			}
			var out json.RawMessage
			if err := c.Do(cmd.Context(), args[0], args[1], body, &out); err != nil {
				return err
			}
			fmt.Println(string(out))
			var acc acsclient.Accepted
			if !wait || json.Unmarshal(out, &acc) != nil || acc.TaskID == "" {
				return nil
			}
			t, err := c.WaitTask(cmd.Context(), acc.TaskID, 200*time.Millisecond)
			if err != nil {
				return err
			}
			fmt.Printf("task %s: %s\n", t.TaskID, t.State)
			if t.Error != nil {
				return fmt.Errorf("task %s failed: %s: %s", t.TaskID, t.Error.Code, t.Error.Message)
			}
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&wait, "wait", false, "when the answer names a task, wait until it ends")
	return cmd
}

func newKubeconfig() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "kubeconfig CLUSTER_ID",
		Short: "Print a cluster's kubeconfig (DescribeClusterUserKubeconfig)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			var out struct{ Config string }
			if err := c.Do(context.Background(), "GET", "/k8s/"+args[0]+"/user_config", nil, &out); err != nil {
				return err
			}
			fmt.Print(out.Config)
			return nil
		},
	}
	f.add(cmd)
	return cmd
}
