-- Tenants. Every license, key and credential belongs to one; a tenant may sign with its own
-- Transit key and Vault namespace (NULL: the service's TRANSIT_KEY and VAULT_NAMESPACE).
CREATE TABLE tenants (
  tenant_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  transit_key TEXT,
  vault_namespace TEXT,
  created_at TEXT NOT NULL
);

INSERT INTO tenants (tenant_id, name, created_at)
VALUES ('default', 'Default tenant', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- What an API key's holder sees of it again after creation: the start of the secret.
ALTER TABLE api_keys ADD COLUMN prefix TEXT;
ALTER TABLE api_keys ADD COLUMN created_by TEXT;

CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at DESC);

-- Idempotency-Key records: a claim while the first request runs, then its response. The
-- response is written in the same D1 batch as the licenses it reports, so a completed record
-- and the licenses it names exist together or not at all.
CREATE TABLE idempotency_keys (
  tenant_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  route TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
  response_status INTEGER,
  response_body TEXT,
  claimed_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, idempotency_key)
);

CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
