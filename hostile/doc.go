// Package hostile holds the hostile-request suite: it runs the real ackscale
// binary on loopback and sends it what an attacker or a broken client would
// (replayed nonces, stale and future dates, requests changed after signing,
// header case and duplicate-header tricks, another account's key, a 10 MiB
// body, slow clients, thousands of idle connections), checking that each is
// refused with the documented status and ACK code and that the server keeps
// serving and never logs a secret or a signature.
package hostile
