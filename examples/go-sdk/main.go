// Command go-sdk creates a cluster on a running ackscale, scales it out and
// waits for the task, with the official Go SDK
// (github.com/aliyun/alibaba-cloud-sdk-go/services/cs, ROA HMAC-SHA1),
// pointed at ackscale by each request's Scheme, Domain and Port.
//
//	go run ./cmd/ackscale serve          # in another terminal
//	go run ./examples/go-sdk
//
// Environment (read by examples/internal/env): ACKSCALE_ENDPOINT (default
// 127.0.0.1:9696), ACKSCALE_ACCESS_KEY_ID and ACKSCALE_ACCESS_KEY_SECRET
// (default: the key in ./ackscale-data/default-key.json, or in
// $ACKSCALE_DATA), COUNT (workers to add, default 3).
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"strconv"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cs"

	"github.com/ackscale/ackscale/examples/internal/env"
)

func main() {
	log.SetFlags(0)
	srv := env.Lookup()
	client, err := cs.NewClientWithAccessKey("cn-hangzhou", srv.KeyID, srv.KeySecret)
	if err != nil {
		log.Fatal(err)
	}
	// point sends a request to ackscale instead of Alibaba Cloud.
	point := func(r *requests.RoaRequest, body string) {
		r.Scheme, r.Domain, r.Port = "http", srv.Host, srv.Port
		if body != "" {
			r.SetContent([]byte(body))
			r.SetContentType("application/json")
		}
	}

	name := "go-sdk-example-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	create := cs.CreateCreateClusterRequest()
	point(create.RoaRequest, `{"name":"`+name+`","region_id":"cn-hangzhou","cluster_type":"ManagedKubernetes"}`)
	created, err := client.CreateCluster(create)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("cluster %s (%s)\n", created.ClusterId, name)
	waitTask(client, point, created.TaskId)

	count := env.Int("COUNT", 3)
	scale := cs.CreateScaleOutClusterRequest()
	scale.ClusterId = created.ClusterId
	point(scale.RoaRequest, fmt.Sprintf(`{"count":%d,"key_pair":"secrity-key","worker_instance_types":["ecs.g6.large"]}`, count))
	scaled, err := client.ScaleOutCluster(scale)
	if err != nil {
		log.Fatal(err)
	}
	waitTask(client, point, scaled.TaskId)

	nodes := cs.CreateDescribeClusterNodesRequest()
	nodes.ClusterId, nodes.PageSize = created.ClusterId, "100"
	point(nodes.RoaRequest, "")
	list, err := client.DescribeClusterNodes(nodes)
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range list.Nodes {
		fmt.Printf("%s %s %s %s\n", n.NodeName, n.InstanceId, n.State, n.NodeStatus)
	}
	fmt.Printf("%d nodes\n", list.Page.TotalCount)
}

// waitTask polls DescribeTaskInfo, 200 ms doubling to 2 s, until the task
// ends, printing each change; a failed task ends the program.
func waitTask(client *cs.Client, point func(*requests.RoaRequest, string), taskID string) {
	delay, last := 200*time.Millisecond, ""
	for {
		req := cs.CreateDescribeTaskInfoRequest()
		req.TaskId = taskID
		point(req.RoaRequest, "")
		resp, err := client.DescribeTaskInfo(req)
		if err != nil {
			log.Fatal(err)
		}
		// The SDK's response has no current_stage or error: read them from the body.
		var t struct {
			CurrentStage string `json:"current_stage"`
			Error        *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(resp.GetHttpContentBytes(), &t)
		if line := fmt.Sprintf("task %s: %s %s", taskID, resp.State, t.CurrentStage); line != last {
			fmt.Println(line)
			last = line
		}
		switch resp.State {
		case "success":
			return
		case "running":
		default:
			log.Fatalf("task %s %s: %+v", taskID, resp.State, t.Error)
		}
		time.Sleep(delay)
		delay = min(2*delay, 2*time.Second)
	}
}
