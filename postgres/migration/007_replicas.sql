-- Several replicas on one database (issue 13). SQLite, which one process
-- owns, has the same tables and leaves them empty.

-- Each live replica beats here every second or so; one whose beat is too
-- old is dead: its running jobs are made available again and the API
-- servers it hosted are taken over.
CREATE TABLE replicas (
	id         TEXT COLLATE "C" PRIMARY KEY, -- River's client id of the replica
	addr       TEXT NOT NULL DEFAULT '',     -- where its API and the API servers it hosts listen
	started_at BIGINT NOT NULL,
	seen_at    BIGINT NOT NULL               -- the database's clock, in ms
);

-- Each account's request budget (a token bucket), shared by the replicas.
CREATE TABLE throttle_buckets (
	account_id TEXT COLLATE "C" PRIMARY KEY,
	tokens     DOUBLE PRECISION NOT NULL,
	at         BIGINT NOT NULL -- ms, the database's clock
);

-- Which replica runs each cluster's kube-apiserver, and where it answers.
CREATE TABLE kube_hosts (
	cluster_id TEXT COLLATE "C" PRIMARY KEY,
	replica_id TEXT COLLATE "C" NOT NULL,
	endpoint   TEXT NOT NULL DEFAULT '', -- host:port once it answers
	claimed_at BIGINT NOT NULL
);
CREATE INDEX kube_hosts_replica ON kube_hosts (replica_id);

-- Files every replica needs the same of, sealed (AES-GCM, the secret
-- key): each cluster's CA, keys and tokens ("kube/CLUSTER_ID"), so that any
-- replica can serve its API server with the same kubeconfigs, and the CA
-- of the HTTPS port ("tls").
CREATE TABLE shared_secrets (
	name  TEXT COLLATE "C" PRIMARY KEY,
	files TEXT NOT NULL -- sealed JSON: file name to content
);
