// Package badinput holds the bad-input suite (reliability and security,
// item 1): it runs the real ackscale binary on loopback with one cluster of
// each kind, and a standard cluster with a node pool of one node, and sends
// every operation that takes a body (or, for RemoveNodePoolNodes, its query)
// request bodies generated from the same rule tables the validator uses
// (rules.Tables): for every field, at any depth (scaling_group.data_disks[0].size),
// each wrong JSON type, each bound ± 1 and step, each enumeration's near
// misses (case, spacing, one letter), each required field removed, nulled or
// emptied, lengths, item counts and the lengths of items one past their
// bounds, known format violations, 64 KiB strings, duplicate items; for every
// table unknown fields, another table's fields, the "exactly one of",
// "required when" and the node pools' other rules broken, and malformed,
// oversized, mis-typed and invalid UTF-8 bodies. A node pool modification is
// also sent bodies that pass its own table but not the pool they would make.
// RemoveNodePoolNodes gets each case a query can say as query parameters (a
// list as a JSON array, a flag true or false), and lists and flags that are
// not.
//
// Each case's expected status, ACK code and field are derived from the
// attribute it breaks and the documented check order (docs/api.md, "How a
// body is checked"); the message must name the field. The task, worker,
// instance, cluster and node pool counts, and every pool's state, size and
// configuration, must not move: a refused request creates nothing. The test
// logs how many cases it ran for each table.
package badinput
