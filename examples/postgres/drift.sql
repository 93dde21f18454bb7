-- Turns a copy of remote.sql into the PostgreSQL demo's drifted local
-- copy (the target), as `examples/demo.sh --postgres URL` loads it: a
-- migration the copy never got, objects it lost, and rows that moved on.
ALTER TABLE subscriber_subscription DROP COLUMN player;        -- the migration it missed
ALTER TABLE job_orders ALTER COLUMN hours TYPE numeric(6,2);   -- before a widening
DROP INDEX helpdesk_ticket_open;
DROP VIEW open_tickets;

UPDATE auth_user SET email = upper(email), profile = NULL WHERE id % 50 = 0;
UPDATE subscriber_accounts SET balance = balance + 1, tags = ARRAY['stale'] WHERE id % 300 = 0;
UPDATE helpdesk_ticket SET status = 'closed' WHERE id % 9 = 0;
DELETE FROM job_orders WHERE id % 100 = 0;
DELETE FROM helpdesk_ticket WHERE id > 1950;
INSERT INTO job_orders
SELECT i, md5('local' || i)::uuid, 1 + i % 200, 1.5, NULL, NULL, NULL
FROM generate_series(6001, 6040) AS i;
-- the copy's own sign-ups, numbered from where its counter stood
SELECT setval(pg_get_serial_sequence('auth_user', 'id'), 900);
