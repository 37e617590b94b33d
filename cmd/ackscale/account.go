package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/sqlite"
)

func newAccount() *cobra.Command {
	cmd := &cobra.Command{Use: "account", Short: "Manage accounts"}
	var dir string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an account and print its key pair as one line of JSON",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return fmt.Errorf("data dir: %w", err)
			}
			store, err := sqlite.Open(cmd.Context(), sqlite.Config{Dir: dir})
			if err != nil {
				return err
			}
			defer store.Close(cmd.Context())
			k := keyFile{AccountID: ackscale.NewAccountID()}
			k.AccessKeyID, k.AccessKeySecret = ackscale.NewAccessKey()
			a := ackscale.Account{ID: k.AccountID, AccessKeyID: k.AccessKeyID, Created: ackscale.NowUTC()}
			if err := store.AccountCreate(cmd.Context(), a, k.AccessKeySecret); err != nil {
				return err
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(k)
		},
	}
	create.Flags().StringVar(&dir, "data", "./ackscale-data", "data directory")
	cmd.AddCommand(create)
	return cmd
}
