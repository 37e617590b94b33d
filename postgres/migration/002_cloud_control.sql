-- Run-time control of the emulated cloud: stock and quota overrides, faults.
CREATE TABLE cloud_stock (
	zone_id       TEXT COLLATE "C" NOT NULL,
	instance_type TEXT COLLATE "C" NOT NULL,
	capacity      INTEGER NOT NULL,
	PRIMARY KEY (zone_id, instance_type)
);

CREATE TABLE cloud_quotas (
	account_id TEXT COLLATE "C" NOT NULL, -- '*' for every account
	name       TEXT COLLATE "C" NOT NULL,
	value      INTEGER NOT NULL,
	PRIMARY KEY (account_id, name)
);

CREATE TABLE cloud_faults (
	id         TEXT COLLATE "C" PRIMARY KEY,
	spec       TEXT NOT NULL,
	remaining  INTEGER NOT NULL, -- -1: without end
	fired      INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
);

CREATE INDEX cloud_instances_zone_type ON cloud_instances (zone_id, instance_type, status);
CREATE INDEX cloud_instances_account ON cloud_instances (account_id, status);

-- An instance removed from its cluster without being released (DeleteClusterNodes
-- with release_node false) stays in the cloud, detached: it belongs to the account.
ALTER TABLE cloud_instances ADD COLUMN detached BOOLEAN NOT NULL DEFAULT false;
