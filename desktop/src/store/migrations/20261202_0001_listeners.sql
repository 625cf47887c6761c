-- One row per running listener (the window's, each `inlet serve`'s), written by that listener
-- alone, by its instance id: starts, tunnel changes, heartbeats and stops are each one statement
-- on its own row, so that listeners starting together lose no record (the single settings value
-- they used to rewrite in turn could lose one). `host` and `heartbeat_at` let a reader on another
-- machine judge a listener it cannot see the process of (docs/decisions.md, "Running listeners").
-- Times are RFC 3339 UTC with milliseconds, so that text order is time order.

CREATE TABLE listeners (
    instance     TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    listen       TEXT NOT NULL,
    process      TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    tunnel       TEXT,
    heartbeat_at TEXT NOT NULL
);
CREATE INDEX listeners_heartbeat ON listeners (heartbeat_at);

-- The old record: listeners running now write their rows at their next start.
DELETE FROM settings WHERE key = 'running_listeners';
