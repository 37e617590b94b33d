package rpcapi

import (
	"context"

	"github.com/ackscale/ackscale"
)

// Workers is what WorkerOwners reads: the store's workers
// (ackscale.WorkerStore).
type Workers interface {
	// WorkerList returns workers (ClusterID "" = every cluster's).
	WorkerList(ctx context.Context, p ackscale.WorkerListParams) ([]ackscale.Worker, int, error)
}

// WorkerOwners returns the Owners of the workers a store keeps: each
// worker is keyed by the client token of the cloud call that created its
// instance.
func WorkerOwners(w Workers) Owners { return workerOwners{w} }

type workerOwners struct{ w Workers }

// ownerBatch bounds the client tokens of one WorkerList call (one SQL
// IN list).
const ownerBatch = 500

func (o workerOwners) InstanceOwners(ctx context.Context, accountID string, clientTokens []string) (map[string]Owner, error) {
	owners := make(map[string]Owner, len(clientTokens))
	for start := 0; start < len(clientTokens); start += ownerBatch {
		batch := clientTokens[start:min(start+ownerBatch, len(clientTokens))]
		ws, _, err := o.w.WorkerList(ctx, ackscale.WorkerListParams{ClientTokens: batch})
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			if w.AccountID == accountID {
				owners[w.ClientToken] = Owner{ClusterID: w.ClusterID, NodePoolID: w.NodePoolID, Hostname: w.Hostname}
			}
		}
	}
	return owners, nil
}
