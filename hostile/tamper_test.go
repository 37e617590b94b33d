package hostile

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// tamperCase is one hostile request. build returns the requests to send in
// order: every one but the last must be accepted (2xx); the last must get
// status and, for an error, code.
type tamperCase struct {
	name   string
	build  func(f *fixture) []*wireReq
	status int
	code   string // "" when the request must be accepted
}

const list = "/api/v1/clusters"

func one(w *wireReq) []*wireReq { return []*wireReq{w} }

func createBody(name string) []byte {
	return []byte(`{"name":"hostile-` + name + `","region_id":"cn-hangzhou","cluster_type":"ManagedKubernetes"}`)
}

// oddCase alternates the case of a header name's letters: x-AcS-DaTe.
func oddCase(name string) string {
	b := []byte(strings.ToLower(name))
	for i := range b {
		if i%2 == 1 && b[i] >= 'a' && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

// setAuthField rewrites one field of w's ACS3 Authorization header.
func setAuthField(w *wireReq, field, value string) {
	parts := strings.Split(strings.TrimPrefix(w.get("Authorization"), "ACS3-HMAC-SHA256 "), ",")
	for i, p := range parts {
		if strings.HasPrefix(p, field+"=") {
			parts[i] = field + "=" + value
		}
	}
	w.set("Authorization", "ACS3-HMAC-SHA256 "+strings.Join(parts, ","))
}

var (
	bad      = http.StatusBadRequest
	notFound = http.StatusNotFound
	unknown  = account{"LTAI0000000000HOSTILE", "no-such-secret"}
)

// testTampered runs every tamperCase, each followed by a good request, and
// returns how many must be refused and how many accepted (the controls).
func (f *fixture) testTampered(t *testing.T) (refused, accepted int) {
	cases := append(append(acs3Cases(), roaCases()...), otherCases()...)
	for _, tc := range cases {
		if tc.code == "" {
			accepted++
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f.runCase(t, tc)
		})
	}
	return len(cases) - accepted, accepted
}

func (f *fixture) runCase(t *testing.T, tc tamperCase) {
	t.Helper()
	reqs := tc.build(f)
	for i, w := range reqs {
		a := f.send(t, w)
		if i < len(reqs)-1 {
			require.Less(t, a.status, 300, "request %d of %d: %s", i+1, len(reqs), a.clip())
			continue
		}
		if tc.code == "" {
			require.Equal(t, tc.status, a.status, "body: %s", a.clip())
			requireNoLeak(t, string(a.raw), f.leaks.list())
		} else {
			requireError(t, a, tc.status, tc.code, f.leaks.list())
		}
	}
	f.requireServing(t)
}

// otherAccountCases are account b's correctly signed requests on account
// a's cluster, nodes and task: each must look as if they did not exist.
func otherAccountCases() []tamperCase {
	scaleOut := []byte(`{"count":1,"key_pair":"secrity-key","worker_instance_types":["ecs.c5.xlarge"]}`)
	return []tamperCase{
		{"GET /clusters/{a's}", func(f *fixture) []*wireReq {
			return one(f.acs3(f.b, "GET", "/clusters/"+f.cluster1, nil))
		}, notFound, ackscale.CodeClusterNotFound},
		{"ROA GET /clusters/{a's}", func(f *fixture) []*wireReq {
			return one(f.roa(f.b, "GET", "/clusters/"+f.cluster1, nil, true))
		}, notFound, ackscale.CodeClusterNotFound},
		{"scale-out POST /api/v2/clusters/{a's}", func(f *fixture) []*wireReq {
			return one(f.acs3(f.b, "POST", "/api/v2/clusters/"+f.cluster1, scaleOut))
		}, notFound, ackscale.CodeClusterNotFound},
		{"GET /clusters/{a's}/nodes", func(f *fixture) []*wireReq {
			return one(f.acs3(f.b, "GET", "/clusters/"+f.cluster1+"/nodes", nil))
		}, notFound, ackscale.CodeClusterNotFound},
		{"GET /tasks/{a's task}", func(f *fixture) []*wireReq {
			return one(f.acs3(f.b, "GET", "/tasks/"+f.task, nil))
		}, notFound, ackscale.CodeTaskNotFound},
		{"DELETE /clusters/{a's}", func(f *fixture) []*wireReq {
			return one(f.acs3(f.b, "DELETE", "/clusters/"+f.cluster2, nil))
		}, notFound, ackscale.CodeClusterNotFound},
		{"legacy PUT /clusters/{a's}", func(f *fixture) []*wireReq {
			return one(f.acs3(f.b, "PUT", "/clusters/"+f.cluster1, []byte(`{"num_of_nodes":3}`)))
		}, notFound, ackscale.CodeClusterNotFound},
		{"DeleteClusterNodes POST /clusters/{a's}/nodes", func(f *fixture) []*wireReq {
			return one(f.acs3(f.b, "POST", "/clusters/"+f.cluster1+"/nodes",
				[]byte(fmt.Sprintf(`{"nodes":[%q],"release_node":true}`, f.node))))
		}, notFound, ackscale.CodeClusterNotFound},
		{"RemoveClusterNodes POST /api/v2/clusters/{a's}/nodes/remove", func(f *fixture) []*wireReq {
			return one(f.acs3(f.b, "POST", "/api/v2/clusters/"+f.cluster1+"/nodes/remove",
				[]byte(fmt.Sprintf(`{"nodes":[%q],"release_node":true}`, f.node))))
		}, notFound, ackscale.CodeClusterNotFound},
		{"GET /k8s/{a's}/user_config", func(f *fixture) []*wireReq {
			return one(f.acs3(f.b, "GET", "/k8s/"+f.cluster1+"/user_config", nil))
		}, notFound, ackscale.CodeClusterNotFound},
	}
}

// testOtherAccount runs otherAccountCases, checks that each answer is the
// one b gets for an id that exists nowhere (no existence oracle), and that
// b's lists do not show a's clusters.
func (f *fixture) testOtherAccount(t *testing.T) int {
	cases := otherAccountCases()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.runCase(t, tc)
			// The same request on ids that exist nowhere: same status, code
			// and message, once the id is swapped back.
			real := f.send(t, tc.build(f)[0])
			ghost := tc.build(f.withGhostIDs())[0]
			fake := f.send(t, ghost)
			require.Equal(t, real.status, fake.status)
			require.Equal(t, errorMessage(t, real), f.unghost(errorMessage(t, fake)), "b can tell a's ids from unknown ones")
		})
	}
	t.Run("lists", func(t *testing.T) {
		for _, path := range []string{list + "?page_size=100", "/clusters", list + "?cluster_id=" + f.cluster1} {
			a := f.send(t, f.acs3(f.b, "GET", path, nil))
			require.Equal(t, http.StatusOK, a.status, "%s: %s", path, a.clip())
			for _, id := range []string{f.cluster1, f.cluster2, f.task, f.node} {
				require.NotContains(t, string(a.raw), id, "%s shows a's resources to b", path)
			}
		}
	})
	return len(cases)
}

// ghost ids stand for a's ids in withGhostIDs.
const (
	ghostCluster1 = "c00000000000000000000000000000001"
	ghostCluster2 = "c00000000000000000000000000000002"
	ghostTask     = "T-000000000000000000000001"
)

// withGhostIDs returns a copy of f whose ids exist nowhere.
func (f *fixture) withGhostIDs() *fixture {
	return &fixture{srv: f.srv, a: f.a, b: f.b, cluster1: ghostCluster1, cluster2: ghostCluster2, task: ghostTask,
		node: f.node, leaks: f.leaks}
}

func (f *fixture) unghost(s string) string {
	return strings.NewReplacer(ghostCluster1, f.cluster1, ghostCluster2, f.cluster2, ghostTask, f.task).Replace(s)
}

func errorMessage(t *testing.T, a answer) string {
	t.Helper()
	var body struct{ Code, Message string }
	require.NoError(t, json.Unmarshal(a.raw, &body), "%s", a.raw)
	return body.Code + ": " + body.Message
}

// testConcurrentReplay sends one signed CreateCluster from many
// goroutines at once: exactly one may be accepted (one cluster created),
// every other must get SignatureNonceUsed.
func (f *fixture) testConcurrentReplay(t *testing.T) int {
	const racers = 16
	w := f.acs3(f.a, "POST", "/clusters", createBody("replay-race"))
	answers := make([]answer, racers)
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			answers[i], errs[i] = send(ctx, f.srv.Addr, w)
		}()
	}
	close(start)
	wg.Wait()
	accepted := 0
	for i, a := range answers {
		require.NoError(t, errs[i])
		if a.status == http.StatusAccepted {
			accepted++
			continue
		}
		requireError(t, a, bad, ackscale.CodeNonceUsed, f.leaks.list())
	}
	require.Equal(t, 1, accepted, "accepted replays of one signed request")
	f.requireServing(t)
	return racers
}
