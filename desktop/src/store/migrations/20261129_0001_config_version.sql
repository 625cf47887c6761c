-- A counter that every change to a connection or a mapping bumps, whichever process makes it (the
-- app, `inlet serve`, the CLI). The listener keeps connections and compiled mappings in memory and
-- reads only this one integer per request to know whether they are still current (docs/design.md §6: a
-- change takes effect on the next request).

CREATE TABLE config_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

CREATE TRIGGER connections_inserted AFTER INSERT ON connections
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER connections_updated AFTER UPDATE ON connections
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER connections_deleted AFTER DELETE ON connections
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER mappings_inserted AFTER INSERT ON mappings
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER mappings_updated AFTER UPDATE ON mappings
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER mappings_deleted AFTER DELETE ON mappings
BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END;
