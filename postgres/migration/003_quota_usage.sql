-- Quota usage and reservations (issue 10). Accepting a task reads its
-- account's usage of a quota scope (ackscale.QuotaScopeOf: the ECS region,
-- or 'ens') from counters, not by counting instances, and reserves what the
-- task may create, in the transaction that accepts it.

-- Each instance keeps its kind, its vCPUs and the scope it counts in (the
-- scope it was counted in when created, so that its release takes it out
-- of the same counters).
ALTER TABLE cloud_instances ADD COLUMN kind TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE cloud_instances ADD COLUMN vcpus INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cloud_instances ADD COLUMN quota_scope TEXT COLLATE "C" NOT NULL DEFAULT '';
-- Instances created before this migration recorded neither kind nor
-- vCPUs: their kind stays '', their scope is read from the type's name
-- (ENS types are ens.*), and they count 0 vCPUs, here and when released.
UPDATE cloud_instances SET quota_scope = CASE WHEN instance_type LIKE 'ens.%' THEN 'ens' ELSE region_id END;

-- An account's live instances and their vCPUs in one scope: InstanceCreate
-- adds one, its first release takes it away, in the same transaction. Its
-- row is also the lock that serializes the acceptances of the account's
-- reserving tasks in the scope (package postgres, quota.go).
CREATE TABLE quota_usage (
	account_id TEXT COLLATE "C" NOT NULL,
	scope      TEXT COLLATE "C" NOT NULL,
	instances  INTEGER NOT NULL DEFAULT 0,
	vcpus      INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (account_id, scope)
);
INSERT INTO quota_usage (account_id, scope, instances, vcpus)
	SELECT account_id, quota_scope, count(*), 0 FROM cloud_instances WHERE status <> 'Released'
	GROUP BY account_id, quota_scope;

-- What an accepted, unfinished task may still create: written with the
-- task, one instance less for each instance it creates, dropped when the
-- task ends.
CREATE TABLE quota_reservations (
	task_id    TEXT COLLATE "C" PRIMARY KEY,
	account_id TEXT COLLATE "C" NOT NULL,
	scope      TEXT COLLATE "C" NOT NULL,
	instances  INTEGER NOT NULL, -- left to create
	vcpus      INTEGER NOT NULL  -- of each
);
CREATE INDEX quota_reservations_scope ON quota_reservations (account_id, scope);
