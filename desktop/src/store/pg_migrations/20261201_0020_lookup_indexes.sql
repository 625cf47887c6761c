-- The planner's look-ups ask for the first two records under a key, by id
-- (`WHERE external_id = $1 ORDER BY id LIMIT 2`). With an index on the key alone PostgreSQL may
-- walk the primary key in id order and filter every row instead, which for a key that is not
-- stored (every new record) reads the whole table: a 2,000-row batch took tens of seconds on a
-- table of 40,000 accounts. Indexes on (key, id) answer each look-up from the index directly.

CREATE INDEX accounts_by_external_id_id ON accounts (external_id, id);
CREATE INDEX accounts_by_name_id ON accounts (name_fold, id);
CREATE INDEX contacts_by_external_id_id ON contacts (external_id, id);
CREATE INDEX contacts_by_email_id ON contacts (email_fold, id);
DROP INDEX accounts_by_external_id;
DROP INDEX accounts_by_name;
DROP INDEX contacts_by_external_id;
DROP INDEX contacts_by_email;
