-- WhatsApp texts are kept only as long as DAKIYA_WHATSAPP_MESSAGE_RETENTION_DAYS (whatsapp-adapter purges them):
-- the purge finds old inbound messages by their arrival time.
CREATE INDEX whatsapp_inbound_messages_received_idx ON whatsapp_inbound_messages (received_at);
