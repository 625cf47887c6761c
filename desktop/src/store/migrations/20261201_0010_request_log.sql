-- The request log's search, paging and retention (docs/design.md §14).
--
-- `size` is the body's length, kept in an index with the order of the log so that pruning by the
-- total size of kept bodies reads the index alone, never the bodies (a column stored after a large
-- BLOB is reached only by walking its overflow pages).
ALTER TABLE requests ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
UPDATE requests SET size = length(body);
CREATE INDEX requests_sizes ON requests (connection_id, seq, size);
CREATE INDEX requests_by_time ON requests (connection_id, received_at);
CREATE INDEX requests_by_status ON requests (connection_id, status, seq);

-- What each connection keeps, in its own table (the connection row stays as it is). NULL: the
-- default (the last 1,000 requests, no age limit, 1 GiB of bodies); 0: no limit on that measure.
CREATE TABLE request_retention (
    connection_id TEXT PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    keep_requests INTEGER,
    keep_days     INTEGER,
    keep_bytes    INTEGER,
    updated_at    TEXT NOT NULL
);
