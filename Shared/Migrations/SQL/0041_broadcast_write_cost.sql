-- What a broadcast message costs PostgreSQL.
--
-- Consent withdrawals since a broadcast was accepted, found through a small partial index: a broadcast's send
-- checks those few (the fan-out saw every earlier one) instead of looking up each message's citizen and consents.
CREATE INDEX citizen_consents_withdrawn_idx ON citizen_consents (created_at) WHERE NOT granted;

-- A broadcast message is written once (fan-out) and updated about three times (sending, sent, delivered): room on
-- its page keeps those updates HOT (no new index entry, less WAL), as pruning frees the versions they leave.
ALTER TABLE broadcast_messages SET (fillfactor = 60);
