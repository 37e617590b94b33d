-- PostgreSQL's version of sqlite/migration/001_init.sql: the same tables
-- and columns. Times are unix milliseconds (UTC), as there; JSON columns
-- hold the root types' JSON as text (jsonb would reorder the keys of the
-- raw JSON a node pool keeps). Text compares bytewise (COLLATE "C"), as in
-- SQLite, so that orderings agree whatever the database's locale.
CREATE TABLE accounts (
	id                TEXT COLLATE "C" PRIMARY KEY,
	access_key_id     TEXT COLLATE "C" NOT NULL UNIQUE,
	access_key_secret TEXT NOT NULL,
	created_at        BIGINT NOT NULL
);

CREATE TABLE clusters (
	id            TEXT COLLATE "C" PRIMARY KEY,
	account_id    TEXT COLLATE "C" NOT NULL REFERENCES accounts(id),
	name          TEXT COLLATE "C" NOT NULL,
	region_id     TEXT COLLATE "C" NOT NULL,
	cluster_type  TEXT COLLATE "C" NOT NULL,
	profile       TEXT COLLATE "C" NOT NULL,
	state         TEXT COLLATE "C" NOT NULL,
	spec          TEXT NOT NULL,
	password_hash TEXT NOT NULL DEFAULT '',
	api_server    TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);
CREATE INDEX clusters_account ON clusters (account_id, created_at);
-- PostgreSQL only: an account's clusters that are not deleted have
-- distinct names. SQLite's one writer serializes ClusterCreate's check of
-- the name; here concurrent creates may both pass it, and this index
-- refuses the second (CodeClusterNameExists).
CREATE UNIQUE INDEX clusters_live_name ON clusters (account_id, name) WHERE state <> 'deleted';

CREATE TABLE tasks (
	id            TEXT COLLATE "C" PRIMARY KEY,
	account_id    TEXT COLLATE "C" NOT NULL,
	cluster_id    TEXT COLLATE "C" NOT NULL,
	type          TEXT COLLATE "C" NOT NULL,
	state         TEXT COLLATE "C" NOT NULL,
	current_stage TEXT COLLATE "C" NOT NULL DEFAULT '',
	params        TEXT NOT NULL,
	error_code    TEXT NOT NULL DEFAULT '',
	error_message TEXT NOT NULL DEFAULT '',
	stages        TEXT NOT NULL DEFAULT '[]',
	events        TEXT NOT NULL DEFAULT '[]',
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);
CREATE INDEX tasks_cluster ON tasks (cluster_id, created_at);

CREATE TABLE workers (
	client_token    TEXT COLLATE "C" PRIMARY KEY,
	cluster_id      TEXT COLLATE "C" NOT NULL,
	account_id      TEXT COLLATE "C" NOT NULL,
	task_id         TEXT COLLATE "C" NOT NULL,
	instance_id     TEXT COLLATE "C" NOT NULL DEFAULT '',
	node_name       TEXT COLLATE "C" NOT NULL DEFAULT '',
	hostname        TEXT COLLATE "C" NOT NULL DEFAULT '',
	ip              TEXT COLLATE "C" NOT NULL DEFAULT '',
	region_id       TEXT COLLATE "C" NOT NULL,
	zone_id         TEXT COLLATE "C" NOT NULL DEFAULT '',
	vswitch_id      TEXT COLLATE "C" NOT NULL DEFAULT '',
	instance_type   TEXT COLLATE "C" NOT NULL,
	image_id        TEXT COLLATE "C" NOT NULL DEFAULT '',
	charge_type     TEXT COLLATE "C" NOT NULL DEFAULT '',
	state           TEXT COLLATE "C" NOT NULL,
	node_status     TEXT COLLATE "C" NOT NULL DEFAULT '',
	error_message   TEXT NOT NULL DEFAULT '',
	labels          TEXT NOT NULL DEFAULT '{}',
	taints          TEXT NOT NULL DEFAULT '[]',
	runtime         TEXT NOT NULL DEFAULT '{}',
	system_disk_gib INTEGER NOT NULL DEFAULT 0,
	edge_worker     BOOLEAN NOT NULL DEFAULT false,
	seq             INTEGER NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL
);
CREATE INDEX workers_cluster ON workers (cluster_id, created_at, seq);
CREATE INDEX workers_task ON workers (task_id, seq);

-- The emulated cloud's own state: an instance exists iff it has a row here
-- that is not released.
CREATE TABLE cloud_instances (
	id            TEXT COLLATE "C" PRIMARY KEY,
	client_token  TEXT COLLATE "C" NOT NULL UNIQUE,
	account_id    TEXT COLLATE "C" NOT NULL,
	region_id     TEXT COLLATE "C" NOT NULL,
	zone_id       TEXT COLLATE "C" NOT NULL DEFAULT '',
	ip_pool       TEXT COLLATE "C" NOT NULL,
	ip            TEXT COLLATE "C" NOT NULL,
	instance_type TEXT COLLATE "C" NOT NULL,
	image_id      TEXT COLLATE "C" NOT NULL DEFAULT '',
	status        TEXT COLLATE "C" NOT NULL,
	ready_at      BIGINT NOT NULL,
	created_at    BIGINT NOT NULL,
	released_at   BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX cloud_instances_ip ON cloud_instances (ip_pool, ip) WHERE status <> 'Released';

CREATE TABLE nonces (
	access_key_id TEXT COLLATE "C" NOT NULL,
	nonce         TEXT COLLATE "C" NOT NULL,
	expires_at    BIGINT NOT NULL,
	PRIMARY KEY (access_key_id, nonce)
);
CREATE INDEX nonces_expiry ON nonces (expires_at);
