-- Signature nonces by when they expire (sqlite/nonce.go): a nonce's row is
-- its expiry and a 64-bit hash of its access key and value. A commit adds
-- its nonces near the end of this key, a few pages, where the table keyed
-- by access key and nonce (and indexed by expiry) dirtied a page of each
-- of its B-trees for every nonce. The rows of nonces move here, with their
-- hashes, in the same transaction (moveNonces); nonces stays, empty.
-- PostgreSQL has the same table and leaves it empty.
CREATE TABLE nonce_log (
	expires_at INTEGER NOT NULL, -- ms
	hash       INTEGER NOT NULL,
	PRIMARY KEY (expires_at, hash)
) WITHOUT ROWID;
