-- The request log's search, paging and retention (docs/design.md §14), as on SQLite.
ALTER TABLE requests ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
UPDATE requests SET size = octet_length(body);
CREATE INDEX requests_sizes ON requests (connection_id, seq, size);
CREATE INDEX requests_by_time ON requests (connection_id, received_at COLLATE "C");
CREATE INDEX requests_by_status ON requests (connection_id, status, seq);

-- NULL: the default (the last 1,000 requests, no age limit, 1 GiB of bodies); 0: no limit.
CREATE TABLE request_retention (
    connection_id TEXT PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    keep_requests BIGINT,
    keep_days     BIGINT,
    keep_bytes    BIGINT,
    updated_at    TEXT NOT NULL
);
