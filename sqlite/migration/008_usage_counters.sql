-- A flat accept path and instance create (issue 14): what accepting a task
-- and creating an instance read is a counter or an index lookup, kept in
-- the transactions that change what it counts, never a count of the live
-- instances or of the running tasks.

-- The reservations of an account's running tasks in a scope, beside its
-- live instances: TaskStart adds a task's reservation, InstanceCreate takes
-- one instance (and its vCPUs) off it, the task's end drops what is left.
ALTER TABLE quota_usage ADD COLUMN reserved_instances INTEGER NOT NULL DEFAULT 0;
ALTER TABLE quota_usage ADD COLUMN reserved_vcpus INTEGER NOT NULL DEFAULT 0;
-- Only running tasks' reservations counted: an ended task's is dropped.
DELETE FROM quota_reservations WHERE task_id NOT IN (SELECT id FROM tasks WHERE state = 'running');
INSERT INTO quota_usage (account_id, scope, reserved_instances, reserved_vcpus)
	SELECT account_id, scope, sum(instances), sum(instances * vcpus) FROM quota_reservations WHERE true
	GROUP BY account_id, scope
	ON CONFLICT (account_id, scope) DO UPDATE SET reserved_instances = excluded.reserved_instances,
		reserved_vcpus = excluded.reserved_vcpus;

-- The live instances of each zone × instance type (the stock in use):
-- InstanceCreate adds one, the first release takes it away.
CREATE TABLE stock_usage (
	zone_id       TEXT NOT NULL,
	instance_type TEXT NOT NULL,
	live          INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (zone_id, instance_type)
) WITHOUT ROWID;
INSERT INTO stock_usage (zone_id, instance_type, live)
	SELECT zone_id, instance_type, count(*) FROM cloud_instances WHERE status <> 'Released'
	GROUP BY zone_id, instance_type;

-- The free-IP index of each account's pools (addresses are IPv4 numbers):
-- next_ip is the lowest address the pool never handed out; ip_pool_free
-- the addresses below it that were released since. InstanceCreate takes
-- the lowest of the two, skipping one a live instance holds (an instance
-- made before this migration, or with an IP given); a release adds its
-- address back. A pool gets its row at its first create, at its range's
-- first address.
CREATE TABLE ip_pools (
	account_id TEXT NOT NULL,
	pool       TEXT NOT NULL,
	next_ip    INTEGER NOT NULL,
	PRIMARY KEY (account_id, pool)
) WITHOUT ROWID;

CREATE TABLE ip_pool_free (
	account_id TEXT NOT NULL,
	pool       TEXT NOT NULL,
	ip         INTEGER NOT NULL,
	PRIMARY KEY (account_id, pool, ip)
) WITHOUT ROWID;

-- A cluster's workers, and a task's, in the order they are listed
-- (created, task, plan order, token): a page of them is read off an index,
-- not sorted.
DROP INDEX workers_cluster;
CREATE INDEX workers_cluster ON workers (cluster_id, created_at, task_id, seq, client_token);
DROP INDEX workers_task;
CREATE INDEX workers_task ON workers (task_id, created_at, seq, client_token);
