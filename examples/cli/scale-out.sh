#!/usr/bin/env bash
# scale-out.sh: the ackscale CLI in a script. It creates a cluster, scales
# it out, adds a node pool and scales that, lists the nodes and deletes the
# cluster; each step waits for its task (progress on stderr) and the script
# stops at the first that fails (set -e: the CLI exits non-zero). No id is
# copied by hand: -q prints just the new id.
#
#   go run ./cmd/ackscale serve          # in another terminal
#   make build && PATH=$PWD/bin:$PATH examples/cli/scale-out.sh
#
# Environment: ACKSCALE (the binary, default: ackscale on PATH), COUNT
# (workers to add, default 3), and what every ackscale command reads:
# ACKSCALE_ENDPOINT, ACKSCALE_ACCESS_KEY_ID/SECRET, or a profile.
set -euo pipefail
ackscale=${ACKSCALE:-ackscale}

id=$("$ackscale" cluster create -q --name "cli-example-$(date +%s)-$$")
echo "cluster $id"
"$ackscale" scale-out "$id" --count "${COUNT:-3}"
np=$("$ackscale" nodepool create "$id" -q --name web --desired-size 1 --label team=web)
echo "node pool $np"
"$ackscale" nodepool scale "$id" "$np" --count 1
"$ackscale" nodes "$id"
"$ackscale" cluster delete "$id"
