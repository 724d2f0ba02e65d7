-- The audit trail: one entry per change, written in the same D1 batch as the change, with a MAC
-- made by the Worker. A Durable Object per tenant then seals entries, in the order D1 committed
-- them, into a hash chain: seq, prev_hash and hash. Checkpoints are chain heads signed by Vault.
CREATE TABLE audit_log (
  entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  actor TEXT NOT NULL,
  request_id TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  fields TEXT NOT NULL,
  mac TEXT NOT NULL,
  seq INTEGER,
  prev_hash TEXT,
  hash TEXT,
  -- When the entry's webhook event was handed to the queue; NULL until then.
  published_at TEXT
);

CREATE UNIQUE INDEX audit_log_chain ON audit_log (tenant_id, seq);
CREATE INDEX audit_log_unsealed ON audit_log (tenant_id, entry_id) WHERE seq IS NULL;
CREATE INDEX audit_log_by_time ON audit_log (tenant_id, occurred_at);
CREATE INDEX audit_log_unpublished ON audit_log (published_at, entry_id) WHERE published_at IS NULL;

CREATE TABLE audit_checkpoints (
  tenant_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  signed_at TEXT NOT NULL,
  key_name TEXT NOT NULL,
  key_version INTEGER NOT NULL,
  signature TEXT NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
