-- Node pools (issue 11). Every cluster has one default pool; every worker
-- belongs to one pool of its cluster.
CREATE TABLE node_pools (
	id         TEXT COLLATE "C" PRIMARY KEY,
	cluster_id TEXT COLLATE "C" NOT NULL,
	account_id TEXT COLLATE "C" NOT NULL,
	is_default BOOLEAN NOT NULL DEFAULT false,
	name       TEXT COLLATE "C" NOT NULL, -- the spec's name, for the name filter
	state      TEXT COLLATE "C" NOT NULL,
	spec       TEXT NOT NULL, -- ackscale.NodePoolSpec, whole
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX node_pools_cluster ON node_pools (cluster_id, created_at);
CREATE UNIQUE INDEX node_pools_default ON node_pools (cluster_id) WHERE is_default;

ALTER TABLE workers ADD COLUMN nodepool_id TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX workers_nodepool ON workers (cluster_id, nodepool_id);

-- Unschedulable is the task's, like its labels and taints.
ALTER TABLE worker_specs ADD COLUMN unschedulable BOOLEAN NOT NULL DEFAULT false;

-- Each cluster that is not deleted gets its default pool, active, and
-- desired as many workers as it has. These pools have no Workers spec
-- (the spec's "workers" is absent, a zero ScaleOut once read): the
-- operations layer reads a default pool without one as "use the cluster's
-- worker defaults". Their Config is {}.
INSERT INTO node_pools (id, cluster_id, account_id, is_default, name, state, spec, created_at, updated_at)
	SELECT 'np' || md5(random()::text || c.id), c.id, c.account_id, true, 'default-nodepool', 'active',
		json_build_object('name', 'default-nodepool', 'type', 'ess',
			'desired_size', (SELECT count(*) FROM workers w WHERE w.cluster_id = c.id), 'config', '{}'::json)::text,
		c.created_at, c.updated_at
	FROM clusters c WHERE c.state <> 'deleted';

-- Their workers belong to them (a deleted cluster's workers to none).
UPDATE workers SET nodepool_id = p.id FROM node_pools p WHERE p.cluster_id = workers.cluster_id AND p.is_default;
