package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
)

func newAccount() *cobra.Command {
	cmd := &cobra.Command{Use: "account", Short: "Manage accounts"}
	var dir, database, schema string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an account and print its key pair as one line of JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return fmt.Errorf("data dir: %w", err)
			}
			// The server may be running on dir: this opens the database
			// beside it (SQLite's WAL takes both), without Kubernetes.
			a, err := build(cmd.Context(), serveConfig{DataDir: dir, Kube: "off", BootLatency: -1, TimeScale: 1,
				Database: database, Schema: schema}, slog.New(slog.DiscardHandler))
			if err != nil {
				return err
			}
			defer a.close()
			k, err := a.ops.CreateAccount(cmd.Context())
			if err != nil {
				return err
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(k)
		},
	}
	create.Flags().StringVar(&dir, "data", "./ackscale-data", "data directory")
	create.Flags().StringVar(&database, "database", envOr("ACKSCALE_DATABASE", "sqlite"), "sqlite (the data directory's) or the postgres:// URL the server runs on")
	create.Flags().StringVar(&schema, "schema", "", "the server's --schema, with --database postgres")
	cmd.AddCommand(create)
	return cmd
}
