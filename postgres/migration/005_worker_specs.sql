-- A task's labels, taints and runtime, kept once per task rather than on
-- each of its workers (issue 10: one scale-out of 200 workers with large
-- labels wrote hundreds of MB). Every worker of the task reads them back.
CREATE TABLE worker_specs (
	task_id TEXT COLLATE "C" PRIMARY KEY,
	labels  TEXT NOT NULL DEFAULT 'null',
	taints  TEXT NOT NULL DEFAULT 'null',
	runtime TEXT NOT NULL DEFAULT 'null'
);
-- The workers of a task were planned with the same spec: keep that of its
-- first worker.
INSERT INTO worker_specs (task_id, labels, taints, runtime)
	SELECT DISTINCT ON (task_id) task_id, labels, taints, runtime FROM workers ORDER BY task_id, created_at, seq;
ALTER TABLE workers DROP COLUMN labels;
ALTER TABLE workers DROP COLUMN taints;
ALTER TABLE workers DROP COLUMN runtime;
