-- Routing inserts every attempt of a delivery (and of a batch of deliveries) in one statement; the row trigger noted
-- each attempt, so a delivery was noted once per channel. One note per delivery per statement is the same change.
DROP TRIGGER dashboard_attempts_added ON channel_attempts;
CREATE FUNCTION dashboard_note_added_attempts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dashboard_changes (delivery_id) SELECT DISTINCT delivery_id FROM added;
    RETURN NULL;
END $$;
CREATE TRIGGER dashboard_attempts_added AFTER INSERT ON channel_attempts REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION dashboard_note_added_attempts();
