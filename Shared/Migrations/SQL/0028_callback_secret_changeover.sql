-- A callback secret changeover: after `dakiya-admin department callback-secret rotate`, callbacks carry a signature
-- with the new secret and one with the previous secret until the overlap ends, so the portal can switch its
-- verifier whenever it is ready within that time.
ALTER TABLE departments
    ADD COLUMN callback_secret_previous text,
    ADD COLUMN callback_secret_previous_until timestamptz,
    ADD CONSTRAINT departments_callback_previous_until
        CHECK ((callback_secret_previous IS NULL) = (callback_secret_previous_until IS NULL));
