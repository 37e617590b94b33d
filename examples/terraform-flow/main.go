// Command terraform-flow drives a running ackscale the way Terraform's
// alicloud provider drives ACK: it never reads the task. It creates a
// cluster and polls DescribeClusterDetail until the cluster is `running`,
// then scales it out (ScaleOutCluster) and polls again until the cluster
// is `running` with the size it asked for, as the provider's
// WaitForCSManagedKubernetes does after an update.
//
//	go run ./cmd/ackscale serve          # in another terminal
//	go run ./examples/terraform-flow
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

// cluster is the part of DescribeClusterDetail the provider reads to wait.
type cluster struct {
	State string `json:"state"`
	Size  int    `json:"size"`
}

type flow struct {
	client     *cs.Client
	host, port string
}

func main() {
	log.SetFlags(0)
	srv := env.Lookup()
	client, err := cs.NewClientWithAccessKey("cn-hangzhou", srv.KeyID, srv.KeySecret)
	if err != nil {
		log.Fatal(err)
	}
	f := &flow{client: client, host: srv.Host, port: srv.Port}

	// resource "alicloud_cs_managed_kubernetes": Create, then wait for running.
	name := "tf-example-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	create := cs.CreateCreateClusterRequest()
	f.point(create.RoaRequest, `{"name":"`+name+`","region_id":"cn-hangzhou","cluster_type":"ManagedKubernetes"}`)
	created, err := client.CreateCluster(create)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("cluster %s (%s)\n", created.ClusterId, name)
	c := f.waitRunning(created.ClusterId, 0)

	// Update: desired size + COUNT, then wait for running at that size.
	count := env.Int("COUNT", 3)
	scale := cs.CreateScaleOutClusterRequest()
	scale.ClusterId = created.ClusterId
	f.point(scale.RoaRequest, fmt.Sprintf(`{"count":%d,"key_pair":"secrity-key","worker_instance_types":["ecs.g6.large"]}`, count))
	if _, err := client.ScaleOutCluster(scale); err != nil {
		log.Fatal(err)
	}
	c = f.waitRunning(created.ClusterId, c.Size+count)
	fmt.Printf("cluster %s is running with %d workers\n", created.ClusterId, c.Size)
}

// point sends a request to ackscale instead of Alibaba Cloud.
func (f *flow) point(r *requests.RoaRequest, body string) {
	r.Scheme, r.Domain, r.Port = "http", f.host, f.port
	if body != "" {
		r.SetContent([]byte(body))
		r.SetContentType("application/json")
	}
}

// waitRunning polls DescribeClusterDetail, 200 ms doubling to 2 s (the
// provider waits 5 s between polls), until the cluster is running with at
// least size workers; a failed cluster ends the program.
func (f *flow) waitRunning(id string, size int) cluster {
	delay, last := 200*time.Millisecond, ""
	for {
		req := cs.CreateDescribeClusterDetailRequest()
		req.ClusterId = id
		f.point(req.RoaRequest, "")
		resp, err := f.client.DescribeClusterDetail(req)
		if err != nil {
			log.Fatal(err)
		}
		var c cluster
		if err := json.Unmarshal(resp.GetHttpContentBytes(), &c); err != nil {
			log.Fatal(err)
		}
		if line := fmt.Sprintf("cluster %s: %s, %d workers", id, c.State, c.Size); line != last {
			fmt.Println(line)
			last = line
		}
		switch {
		case c.State == "running" && c.Size >= size:
			return c
		case c.State == "failed":
			log.Fatalf("cluster %s failed", id)
		}
		time.Sleep(delay)
		delay = min(2*delay, 2*time.Second)
	}
}
