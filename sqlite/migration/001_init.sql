-- Times are unix milliseconds (UTC). JSON columns hold the root types' JSON.
CREATE TABLE accounts (
	id                TEXT PRIMARY KEY,
	access_key_id     TEXT NOT NULL UNIQUE,
	access_key_secret TEXT NOT NULL,
	created_at        INTEGER NOT NULL
);

CREATE TABLE clusters (
	id            TEXT PRIMARY KEY,
	account_id    TEXT NOT NULL REFERENCES accounts(id),
	name          TEXT NOT NULL,
	region_id     TEXT NOT NULL,
	cluster_type  TEXT NOT NULL,
	profile       TEXT NOT NULL,
	state         TEXT NOT NULL,
	spec          TEXT NOT NULL,
	password_hash TEXT NOT NULL DEFAULT '',
	api_server    TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
CREATE INDEX clusters_account ON clusters (account_id, created_at);

CREATE TABLE tasks (
	id            TEXT PRIMARY KEY,
	account_id    TEXT NOT NULL,
	cluster_id    TEXT NOT NULL,
	type          TEXT NOT NULL,
	state         TEXT NOT NULL,
	current_stage TEXT NOT NULL DEFAULT '',
	params        TEXT NOT NULL,
	error_code    TEXT NOT NULL DEFAULT '',
	error_message TEXT NOT NULL DEFAULT '',
	stages        TEXT NOT NULL DEFAULT '[]',
	events        TEXT NOT NULL DEFAULT '[]',
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
CREATE INDEX tasks_cluster ON tasks (cluster_id, created_at);

CREATE TABLE workers (
	client_token    TEXT PRIMARY KEY,
	cluster_id      TEXT NOT NULL,
	account_id      TEXT NOT NULL,
	task_id         TEXT NOT NULL,
	instance_id     TEXT NOT NULL DEFAULT '',
	node_name       TEXT NOT NULL DEFAULT '',
	hostname        TEXT NOT NULL DEFAULT '',
	ip              TEXT NOT NULL DEFAULT '',
	region_id       TEXT NOT NULL,
	zone_id         TEXT NOT NULL DEFAULT '',
	vswitch_id      TEXT NOT NULL DEFAULT '',
	instance_type   TEXT NOT NULL,
	image_id        TEXT NOT NULL DEFAULT '',
	charge_type     TEXT NOT NULL DEFAULT '',
	state           TEXT NOT NULL,
	node_status     TEXT NOT NULL DEFAULT '',
	error_message   TEXT NOT NULL DEFAULT '',
	labels          TEXT NOT NULL DEFAULT '{}',
	taints          TEXT NOT NULL DEFAULT '[]',
	runtime         TEXT NOT NULL DEFAULT '{}',
	system_disk_gib INTEGER NOT NULL DEFAULT 0,
	edge_worker     INTEGER NOT NULL DEFAULT 0,
	seq             INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX workers_cluster ON workers (cluster_id, created_at, seq);
CREATE INDEX workers_task ON workers (task_id, seq);

-- The emulated cloud's own state: an instance exists iff it has a row here
-- that is not released.
CREATE TABLE cloud_instances (
	id            TEXT PRIMARY KEY,
	client_token  TEXT NOT NULL UNIQUE,
	account_id    TEXT NOT NULL,
	region_id     TEXT NOT NULL,
	zone_id       TEXT NOT NULL DEFAULT '',
	ip_pool       TEXT NOT NULL,
	ip            TEXT NOT NULL,
	instance_type TEXT NOT NULL,
	image_id      TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL,
	ready_at      INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	released_at   INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX cloud_instances_ip ON cloud_instances (ip_pool, ip) WHERE status <> 'Released';

CREATE TABLE nonces (
	access_key_id TEXT NOT NULL,
	nonce         TEXT NOT NULL,
	expires_at    INTEGER NOT NULL,
	PRIMARY KEY (access_key_id, nonce)
);
CREATE INDEX nonces_expiry ON nonces (expires_at);
