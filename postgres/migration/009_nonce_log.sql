-- SQLite keeps its signature nonces by expiry and hash (sqlite/nonce.go),
-- appended in time order by its one writer. PostgreSQL keeps them in
-- nonces, where every replica looks a nonce up by key before going on; it
-- has this table, the same as SQLite's, and leaves it empty.
CREATE TABLE nonce_log (
	expires_at BIGINT NOT NULL, -- ms
	hash       BIGINT NOT NULL,
	PRIMARY KEY (expires_at, hash)
);
