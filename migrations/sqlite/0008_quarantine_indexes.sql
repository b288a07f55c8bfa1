-- The worklist's "swab due today" probe (stay_id, item, date_to) used the city-wide
-- quarantine_schedule_due index and scanned every test due that day for each person in the
-- facility; one index on (stay_id, item, date_to) serves it and the per-stay lookups.
DROP INDEX quarantine_schedule_stay;
CREATE INDEX quarantine_schedule_stay_item ON quarantine_schedule(stay_id, item, date_to);
