-- The counter every change to a connection or a mapping bumps, whichever receiver, window or CLI
-- makes it (as on SQLite): each receiver reads this one integer per request and drops its cached
-- connections and mappings when it moved, so a change reaches every receiver at its next request.

CREATE TABLE config_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

CREATE FUNCTION inlet_bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER connections_changed AFTER INSERT OR UPDATE OR DELETE ON connections
    FOR EACH STATEMENT EXECUTE FUNCTION inlet_bump_config_version();
CREATE TRIGGER mappings_changed AFTER INSERT OR UPDATE OR DELETE ON mappings
    FOR EACH STATEMENT EXECUTE FUNCTION inlet_bump_config_version();
