-- Every account has its own copy of the catalog's VPCs (issue 10): an IP
-- is unique among the live instances of one account's pool, and two
-- accounts may hold the same IP of the same vSwitch id.
DROP INDEX cloud_instances_ip;
CREATE UNIQUE INDEX cloud_instances_ip ON cloud_instances (account_id, ip_pool, ip) WHERE status <> 'Released';
