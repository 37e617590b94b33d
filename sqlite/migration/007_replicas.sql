-- Several replicas on one database (issue 13): these tables are
-- PostgreSQL's (package postgres, migration 007); SQLite, which one process
-- owns, has them too so that both schemas stay alike, and leaves them empty.
CREATE TABLE replicas (
	id         TEXT PRIMARY KEY,
	addr       TEXT NOT NULL DEFAULT '',
	started_at INTEGER NOT NULL,
	seen_at    INTEGER NOT NULL
);

CREATE TABLE throttle_buckets (
	account_id TEXT PRIMARY KEY,
	tokens     REAL NOT NULL,
	at         INTEGER NOT NULL
);

CREATE TABLE kube_hosts (
	cluster_id TEXT PRIMARY KEY,
	replica_id TEXT NOT NULL,
	endpoint   TEXT NOT NULL DEFAULT '',
	claimed_at INTEGER NOT NULL
);
CREATE INDEX kube_hosts_replica ON kube_hosts (replica_id);

CREATE TABLE shared_secrets (
	name  TEXT PRIMARY KEY,
	files TEXT NOT NULL
);
