package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// callOperations lists the CS API's operations as httpapi/router.go routes
// them, for `call --help`.
const callOperations = `  POST   /clusters                                   CreateCluster
  GET    /clusters                                   DescribeClusters (deprecated)
  GET    /api/v1/clusters                            DescribeClustersV1
  GET    /regions/{region}/clusters                  DescribeClustersForRegion
  GET    /clusters/{id}                              DescribeClusterDetail
  PUT    /api/v2/clusters/{id}                       ModifyCluster
  POST   /clusters/{id}/name/{name}                  ModifyClusterName
  DELETE /clusters/{id}                              DeleteCluster
  POST   /api/v2/clusters/{id}                       ScaleOutCluster
  PUT    /clusters/{id}                              ScaleCluster (legacy)
  GET    /clusters/{id}/nodes                        DescribeClusterNodes
  POST   /clusters/{id}/nodes                        DeleteClusterNodes
  DELETE /clusters/{id}/nodes                        DeleteClusterNodes (query form)
  POST   /api/v2/clusters/{id}/nodes/remove          RemoveClusterNodes (deprecated)
  POST   /clusters/{id}/nodepools                    CreateClusterNodePool
  GET    /clusters/{id}/nodepools                    DescribeClusterNodePools
  GET    /clusters/{id}/nodepools/{np}               DescribeClusterNodePoolDetail
  PUT    /clusters/{id}/nodepools/{np}               ModifyClusterNodePool
  POST   /clusters/{id}/nodepools/{np}               ScaleClusterNodePool
  DELETE /clusters/{id}/nodepools/{np}               DeleteClusterNodepool
  DELETE /clusters/{id}/nodepools/{np}/nodes         RemoveNodePoolNodes
  GET    /tasks/{task_id}                            DescribeTaskInfo
  GET    /clusters/{id}/tasks                        DescribeClusterTasks
  GET    /k8s/{id}/user_config                       DescribeClusterUserKubeconfig
  GET    /api/v2/k8s/{id}/user_config                DescribeClusterV2UserKubeconfig
  GET    /clusters/{id}/resources                    DescribeClusterResources
  GET    /clusters/{id}/certs                        DescribeClusterCerts
  GET    /clusters/{id}/logs                         DescribeClusterLogs
  GET    /clusters/{id}/controlplanelog              CheckControlPlaneLogEnable
  GET    /quota                                      DescribeUserQuota
  GET    /api/v1/metadata/versions                   DescribeKubernetesVersionMetadata`

func newCall(g *clientFlags) *cobra.Command {
	var wait bool
	var wf waitFlags
	cmd := &cobra.Command{
		Use:   "call METHOD PATH [JSON-BODY]",
		Short: "Send one signed request of the CS API and print the answer",
		Long: `Send one request, signed by the official Go SDK (ROA HMAC-SHA1) as any
client's, and print the answer's JSON. PATH may carry a query (?a=b). With
--wait, when the answer names a task, show its progress on stderr until it
ends, then print "task ID: STATE" (non-zero exit status if it failed).

Operations (docs/api.md has their bodies and rules):
` + callOperations,
		Example: `  ackscale call GET /api/v1/clusters
  ackscale call --wait POST /clusters '{"name":"demo","region_id":"cn-hangzhou","cluster_type":"ManagedKubernetes"}'
  ackscale call --wait POST /api/v2/clusters/"$ID" '{"count":3,"key_pair":"secrity-key","worker_instance_types":["ecs.g6.large"]}'
  ackscale call GET "/clusters/$ID/nodes?pageSize=100&state=running"
  ackscale call DELETE "/clusters/$ID/nodepools/$NP?force=true"`,
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.api()
			if err != nil {
				return err
			}
			method := strings.ToUpper(args[0])
			path, query, err := splitPath(args[1])
			if err != nil {
				return err
			}
			var payload []byte
			if len(args) == 3 {
				payload = []byte(args[2])
			}
			start := time.Now()
			raw, err := a.do(a.common(method, path, query, payload))
			if err != nil {
				return err
			}
			// call prints on os.Stdout, as it always has (its tests read it there).
			fmt.Fprintln(os.Stdout, string(raw))
			var acc accepted
			if !wait || jsonInto(raw, &acc) != nil || acc.TaskID == "" {
				return nil
			}
			w, err := wf.waiter(cmd, a, false)
			if err != nil {
				return err
			}
			w.noSummary = true
			t, err := w.wait(cmd.Context(), acc.TaskID, start)
			if t.TaskID != "" {
				fmt.Fprintf(os.Stdout, "task %s: %s\n", t.TaskID, t.State)
			}
			var tf *taskFailedError
			if errors.As(err, &tf) {
				tf.printed = false // the line above is no summary: say why it failed
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "when the answer names a task, wait until it ends")
	cmd.Flags().StringVar(&wf.progress, "progress", progressAuto, "with --wait: tty, plain, none, or auto (tty when stderr is a terminal, else plain)")
	return cmd
}

// splitPath separates PATH?QUERY.
func splitPath(raw string) (string, map[string]string, error) {
	path, rawQuery, _ := strings.Cut(raw, "?")
	if !strings.HasPrefix(path, "/") {
		return "", nil, fmt.Errorf("path %q: must start with /", raw)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", nil, fmt.Errorf("path %q: %w", raw, err)
	}
	out := make(map[string]string, len(q))
	for k, vs := range q {
		out[k] = strings.Join(vs, ",")
	}
	return path, out, nil
}
