-- The portal's Idempotency-Key, kept on the delivery it created (the idempotency_keys table answers replays).
ALTER TABLE deliveries ADD COLUMN idempotency_key text;
