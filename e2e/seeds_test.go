package e2e

import "github.com/ackscale/ackscale/internal/seeds"

// The example request bodies of the seeds (shared/seeds), verbatim: the
// tests send them byte for byte.

// seed000Body is seed 000's example (legacy PUT /clusters/{id}, dedicated
// cluster): scale to 8 workers.
const seed000Body = seeds.Body000

// seed000Password is the login password seed 000's example sends; the
// dedicated cluster is created with it, since the legacy operation requires
// the cluster's own password (ruling 3).
const seed000Password = seeds.Password000

// seed001Body is seed 001's example (edge cluster, ENS instances).
const seed001Body = seeds.Body001

// seed003Body is seed 003's example (edge cluster, older page).
const seed003Body = seeds.Body003

// seed004Body is seed 004's example (sandbox cluster, bare-metal workers).
const seed004Body = seeds.Body004

// seed002Body is built from the example column of seed 002's parameter
// table (standard cluster), with key_pair and not login_password (ruling
// 4: exactly one of them).
const seed002Body = seeds.Body002
