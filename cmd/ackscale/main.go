// Command ackscale runs the ACK scaling API emulator (serve) and is its
// command-line client (cluster, scale-out, nodepool, task…), which talks to
// a running server through the official Go SDK. It only wires flags,
// environment and packages together; the logic lives in the packages.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		if !silent(err) {
			fmt.Fprintln(os.Stderr, "ackscale:", err)
		}
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "ackscale",
		Short: "An emulator of Alibaba Cloud ACK's cluster scaling API, and its client",
		Long: `ackscale serves Alibaba Cloud ACK's CS OpenAPI over an emulated cloud
(` + "`ackscale serve`" + `), and is a client of it: the other commands talk to a running
server through the official Go SDK, signed like any client.

The client commands find the server and the key, each from the first of:
flags (--endpoint, --access-key-id, --access-key-secret), the environment
(ACKSCALE_ENDPOINT, ACKSCALE_ACCESS_KEY_ID, ACKSCALE_ACCESS_KEY_SECRET), a
profile of ~/.ackscale/config.json (--profile; ackscale configure), and last
127.0.0.1:9696 with the key in ./ackscale-data/default-key.json.`,
		Example: `  ackscale serve                                   # in one terminal
  ID=$(ackscale cluster create -q --name demo)     # in another
  ackscale scale-out "$ID" --count 3
  ackscale nodes "$ID"`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddGroup(&cobra.Group{ID: "server", Title: "The server:"},
		&cobra.Group{ID: "client", Title: "Client commands (talk to a running server):"})
	for _, c := range []*cobra.Command{newServe(), newAccount(), newReset()} {
		c.GroupID = "server"
		root.AddCommand(c)
	}
	for _, c := range clientCommands() {
		c.GroupID = "client"
		root.AddCommand(c)
	}
	return root
}

// clientCommands are the commands that talk to a running server; each has
// the client flags (--endpoint, the key, --profile, --data, --output).
func clientCommands() []*cobra.Command {
	g := &clientFlags{}
	cmds := []*cobra.Command{newCluster(g), newScaleOut(g), newScale(g), newNodepool(g), newNodes(g), newTask(g),
		newKubeconfig(g), newCall(g), newVersion(g)}
	for _, c := range cmds {
		g.add(c.PersistentFlags())
	}
	return append(cmds, newAdmin(), newConfigure())
}
