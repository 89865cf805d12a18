-- Certificate retention: content is purged after expires_at; the row (hash, name, size) stays as a record.
ALTER TABLE documents ADD COLUMN purged_at timestamptz;
CREATE INDEX documents_expiry_idx ON documents (expires_at) WHERE purged_at IS NULL AND expires_at IS NOT NULL;
