-- Node pools (issue 11). Every cluster has one default pool; every worker
-- belongs to one pool of its cluster.
CREATE TABLE node_pools (
	id         TEXT PRIMARY KEY,
	cluster_id TEXT NOT NULL,
	account_id TEXT NOT NULL,
	is_default INTEGER NOT NULL DEFAULT 0,
	name       TEXT NOT NULL, -- the spec's name, for the name filter
	state      TEXT NOT NULL,
	spec       TEXT NOT NULL, -- ackscale.NodePoolSpec, whole
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX node_pools_cluster ON node_pools (cluster_id, created_at);
CREATE UNIQUE INDEX node_pools_default ON node_pools (cluster_id) WHERE is_default = 1;

ALTER TABLE workers ADD COLUMN nodepool_id TEXT NOT NULL DEFAULT '';
CREATE INDEX workers_nodepool ON workers (cluster_id, nodepool_id);

-- Unschedulable is the task's, like its labels and taints.
ALTER TABLE worker_specs ADD COLUMN unschedulable INTEGER NOT NULL DEFAULT 0;

-- Each cluster that is not deleted gets its default pool, active, and
-- desired as many workers as it has. These pools have no Workers spec
-- (the spec's "workers" is absent, a zero ScaleOut once read): the
-- operations layer reads a default pool without one as "use the cluster's
-- worker defaults". Their Config is {}.
INSERT INTO node_pools (id, cluster_id, account_id, is_default, name, state, spec, created_at, updated_at)
	SELECT 'np' || lower(hex(randomblob(16))), c.id, c.account_id, 1, 'default-nodepool', 'active',
		json_object('name', 'default-nodepool', 'type', 'ess',
			'desired_size', (SELECT count(*) FROM workers w WHERE w.cluster_id = c.id), 'config', json('{}')),
		c.created_at, c.updated_at
	FROM clusters c WHERE c.state <> 'deleted';

-- Their workers belong to them (a deleted cluster's workers to none).
UPDATE workers SET nodepool_id = (SELECT p.id FROM node_pools p WHERE p.cluster_id = workers.cluster_id AND p.is_default = 1)
	WHERE EXISTS (SELECT 1 FROM node_pools p WHERE p.cluster_id = workers.cluster_id AND p.is_default = 1);
