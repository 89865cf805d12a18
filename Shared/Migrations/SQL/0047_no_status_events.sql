-- WhatsApp statuses are no longer kept a second time, one row per (wamid, status) (issue 14: two rows, two foreign
-- key checks and about 730 bytes of WAL per message). The attempt's own forward-only move (channel_state_may_move)
-- already makes a repeated or late status change nothing, its timestamps record when each state was reached, and the
-- webhook's body stays whole in whatsapp_webhook_batches.
DROP TABLE whatsapp_status_events;
