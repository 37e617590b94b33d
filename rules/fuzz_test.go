package rules

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ackscale/ackscale"
)

// checkErr asserts the error contract: nil, or an *ackscale.Error with a
// code and a field or message.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *ackscale.Error
	if !errors.As(err, &e) {
		t.Fatalf("not an *ackscale.Error: %T %v", err, err)
	}
	if e.Code == "" || e.Field == "" && e.Message == "" {
		t.Fatalf("incomplete error %#v", e)
	}
}

// FuzzDecode: Decode never panics, fails only with *ackscale.Error, and
// what it accepts re-encodes to a body it accepts again.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{seed000, seed001, seed002, seed003, seed004, aliyungoBody, `{}`, `{"a":{"b":[1,2,{"c":null}]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Decode(body)
		checkErr(t, err)
		if err != nil {
			return
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if _, err := Decode(again); err != nil && len(again) <= MaxBodyBytes {
			t.Fatalf("re-encoded body refused: %v", err)
		}
	})
}

// FuzzScaleOut: arbitrary bodies never panic on any profile or operation,
// and every error keeps the contract.
func FuzzScaleOut(f *testing.F) {
	for _, s := range []string{seed000, seed001, seed002, seed003, seed004, aliyungoBody, createBase, `{"nodes":["a.b"]}`,
		tfNodePool, npmNodePool, tfModify, `{"count":2}`} {
		f.Add([]byte(s))
	}
	targets := []Target{legacyTarget(), standardTarget(), edgeTarget(), sandboxTarget()}
	modified := poolTarget()
	modified.Pool = &ackscale.NodePoolSpec{Type: "ess", Workers: ackscale.ScaleOut{HasPassword: true}}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, tgt := range targets {
			_, err := ScaleOut(tgt, body, fakeCloud{})
			checkErr(t, err)
		}
		_, err := Scale(targets[0], body, fakeCloud{})
		checkErr(t, err)
		_, err = CreateCluster(body, fakeCloud{})
		checkErr(t, err)
		_, err = DeleteNodes(body)
		checkErr(t, err)
		for _, tgt := range append(targets, modified) {
			_, err = NodePool(tgt, body, fakeCloud{})
			checkErr(t, err)
		}
		_, err = ModifyNodePool(body)
		checkErr(t, err)
		_, err = ScaleNodePool(body)
		checkErr(t, err)
		_, err = RemoveNodePoolNodes(body)
		checkErr(t, err)
	})
}
