-- Signed webhooks (docs/design.md §12) and schema drift (§13). Per-connection settings live in a table of
-- their own, so that a connection without them is exactly as before; a change to them bumps
-- config_version like any change to a connection (the listener caches them with it).

CREATE TABLE connection_trust (
    connection_id      TEXT PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    verify             TEXT NOT NULL DEFAULT 'none'
                       CHECK (verify IN ('none', 'standard-webhooks', 'segment', 'hmac-sha256')),
    signing_secret     TEXT,
    signature_header   TEXT,
    signature_encoding TEXT NOT NULL DEFAULT 'hex' CHECK (signature_encoding IN ('hex', 'base64')),
    signature_prefix   TEXT,
    on_drift           TEXT NOT NULL DEFAULT 'warn' CHECK (on_drift IN ('warn', 'refuse')),
    updated_at         TEXT NOT NULL
);

CREATE TRIGGER connection_trust_inserted AFTER INSERT ON connection_trust
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER connection_trust_updated AFTER UPDATE ON connection_trust
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER connection_trust_deleted AFTER DELETE ON connection_trust
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;

-- The baseline and the shape since the last unacknowledged drift (inlet_core::drift::DriftState as
-- JSON). Written by the listener while it learns; no trigger: it is data, not configuration.
CREATE TABLE drift_state (
    connection_id TEXT PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    state         TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- One row per connection, kind of drift and field, until acknowledged.
CREATE TABLE drift_records (
    connection_id      TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    kind               TEXT NOT NULL,
    field              TEXT NOT NULL,
    first_seen         TEXT NOT NULL,
    last_seen          TEXT NOT NULL,
    requests           INTEGER NOT NULL,
    rows               INTEGER NOT NULL,
    example_request_id TEXT NOT NULL,
    expected           TEXT NOT NULL,
    found              TEXT NOT NULL,
    message            TEXT NOT NULL,
    PRIMARY KEY (connection_id, kind, field)
);

-- Standard Webhooks message ids already written, so that a redelivery is answered without
-- writing twice. Kept a little longer than the timestamp tolerance, then pruned.
CREATE TABLE webhook_deliveries (
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    webhook_id    TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    PRIMARY KEY (connection_id, webhook_id)
);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (received_at);
