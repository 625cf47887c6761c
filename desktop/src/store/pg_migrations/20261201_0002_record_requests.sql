-- Every record links to the request that last wrote it (docs/design.md §14), and a request to its records.
ALTER TABLE accounts ADD COLUMN request_id TEXT;
ALTER TABLE contacts ADD COLUMN request_id TEXT;
CREATE INDEX accounts_by_request ON accounts (request_id);
CREATE INDEX contacts_by_request ON contacts (request_id);
CREATE INDEX events_by_request ON events (request_id);
-- The events timeline pages by (timestamp, id) in byte order, newest first.
CREATE INDEX events_by_time_id ON events ((timestamp COLLATE "C"), id);
