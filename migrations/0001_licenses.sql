-- Signed licenses and their lifecycle state. The signed document is kept verbatim in `document`;
-- the other columns are the queryable projection of it plus the mutable state around it.
CREATE TABLE licenses (
  license_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL DEFAULT 'default',
  customer TEXT NOT NULL,
  issued_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  not_before TEXT,
  key_version INTEGER NOT NULL,
  renewed_from TEXT REFERENCES licenses (license_id),
  document TEXT NOT NULL,
  -- State. A license is revoked once revoke_at has passed, which lets revocations be scheduled.
  suspended_at TEXT,
  revoke_at TEXT,
  revocation_reason TEXT,
  superseded_by TEXT UNIQUE,
  updated_at TEXT NOT NULL,
  -- The request that last changed this row; lets a batch write the history entry of a change
  -- only when that change took place.
  last_request_id TEXT NOT NULL
);

CREATE INDEX licenses_by_tenant_issued ON licenses (tenant_id, issued_at DESC, license_id DESC);
CREATE INDEX licenses_by_tenant_customer ON licenses (tenant_id, customer, issued_at DESC);
CREATE INDEX licenses_by_tenant_expiry ON licenses (tenant_id, expires_at);

-- Every state change of a license, in order: the history shown by GET /license/:id.
CREATE TABLE license_events (
  event_id INTEGER PRIMARY KEY AUTOINCREMENT,
  license_id TEXT NOT NULL REFERENCES licenses (license_id),
  tenant_id TEXT NOT NULL DEFAULT 'default',
  event TEXT NOT NULL CHECK (
    event IN ('issued', 'renewed', 'superseded', 'revoked', 'revocation_scheduled', 'suspended',
              'reinstated')
  ),
  reason TEXT,
  actor TEXT NOT NULL,
  request_id TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  effective_at TEXT
);

CREATE INDEX license_events_by_license ON license_events (license_id, event_id);

-- Public keys read from Vault Transit, one row per key version, so that a fresh isolate can
-- verify signatures while Vault is unreachable.
CREATE TABLE public_keys (
  tenant_id TEXT NOT NULL DEFAULT 'default',
  key_name TEXT NOT NULL,
  key_version INTEGER NOT NULL,
  key_type TEXT NOT NULL,
  public_key TEXT NOT NULL,
  created_at TEXT,
  fetched_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, key_name, key_version)
);

-- API keys, stored only as SHA-256 hashes of the secret.
CREATE TABLE api_keys (
  key_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL DEFAULT 'default',
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'issuer', 'reader', 'validator')),
  key_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT,
  last_used_at TEXT
);
