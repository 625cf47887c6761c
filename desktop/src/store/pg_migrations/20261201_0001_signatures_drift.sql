-- Signed webhooks (docs/design.md §12) and schema drift (§13): the same tables as the SQLite migration of
-- this name. A change to a connection's trust settings bumps config_version, as any connection
-- change does.

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
CREATE TRIGGER connection_trust_changed AFTER INSERT OR UPDATE OR DELETE ON connection_trust
    FOR EACH STATEMENT EXECUTE FUNCTION inlet_bump_config_version();

CREATE TABLE drift_state (
    connection_id TEXT PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    state         TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE drift_records (
    connection_id      TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    kind               TEXT NOT NULL,
    field              TEXT NOT NULL,
    first_seen         TEXT NOT NULL,
    last_seen          TEXT NOT NULL,
    requests           BIGINT NOT NULL,
    rows               BIGINT NOT NULL,
    example_request_id TEXT NOT NULL,
    expected           TEXT NOT NULL,
    found              TEXT NOT NULL,
    message            TEXT NOT NULL,
    PRIMARY KEY (connection_id, kind, field)
);

CREATE TABLE webhook_deliveries (
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    webhook_id    TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    PRIMARY KEY (connection_id, webhook_id)
);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (received_at);
