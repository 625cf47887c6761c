-- `requests_by_connection (connection_id, seq)` is a prefix of `requests_sizes (connection_id,
-- seq, size)`: every look-up it served, the longer index serves as well, and every logged request
-- was written into both (and removed from both when pruned). Single-row requests: about 4% more.
DROP INDEX IF EXISTS requests_by_connection;
