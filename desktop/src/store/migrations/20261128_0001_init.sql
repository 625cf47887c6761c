-- Inlet's first schema (docs/design.md §2, §7). Times are RFC 3339 UTC text; JSON is text.

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE connections (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('accounts', 'contacts', 'events')),
    behavior      TEXT NOT NULL CHECK (behavior IN ('upsert', 'update')),
    enabled       INTEGER NOT NULL DEFAULT 0,
    authorization TEXT NOT NULL,
    enforce_auth  INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE mappings (
    connection_id TEXT PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    document      TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- Every admitted request. `has_payload` marks bodies that can serve as the latest payload
-- (connection tests with an empty body do not). `seq` only grows: the newest row is never pruned.
CREATE TABLE requests (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    received_at   TEXT NOT NULL,
    method        TEXT NOT NULL,
    content_type  TEXT,
    headers       TEXT NOT NULL,
    query         TEXT,
    body          BLOB NOT NULL,
    has_payload   INTEGER NOT NULL,
    status        INTEGER NOT NULL,
    error         TEXT,
    outcomes      TEXT,
    summary       TEXT,
    replay_of     TEXT
);
CREATE INDEX requests_by_connection ON requests (connection_id, seq);
CREATE INDEX requests_payloads ON requests (connection_id, has_payload, seq);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    external_id   TEXT,
    name          TEXT,
    name_fold     TEXT,
    properties    TEXT NOT NULL DEFAULT '{}',
    connection_id TEXT REFERENCES connections (id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX accounts_by_external_id ON accounts (external_id);
CREATE INDEX accounts_by_name ON accounts (name_fold);
CREATE INDEX accounts_by_connection ON accounts (connection_id);

CREATE TABLE contacts (
    id            INTEGER PRIMARY KEY,
    external_id   TEXT,
    email         TEXT,
    email_fold    TEXT,
    account_id    INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    properties    TEXT NOT NULL DEFAULT '{}',
    connection_id TEXT REFERENCES connections (id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX contacts_by_external_id ON contacts (external_id);
CREATE INDEX contacts_by_email ON contacts (email_fold);
CREATE INDEX contacts_by_account ON contacts (account_id);
CREATE INDEX contacts_by_connection ON contacts (connection_id);

CREATE TABLE event_types (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    connection_id TEXT REFERENCES connections (id) ON DELETE SET NULL,
    event_type_id INTEGER NOT NULL REFERENCES event_types (id),
    account_id    INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    contact_id    INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    timestamp     TEXT NOT NULL,
    event_id      TEXT,
    properties    TEXT NOT NULL DEFAULT '{}',
    received_at   TEXT NOT NULL,
    request_id    TEXT
);
CREATE UNIQUE INDEX events_by_event_id ON events (connection_id, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX events_by_contact ON events (contact_id);
CREATE INDEX events_by_account ON events (account_id);
CREATE INDEX events_by_type ON events (event_type_id);
CREATE INDEX events_by_time ON events (timestamp);
