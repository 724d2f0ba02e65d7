-- Webhook endpoints of each tenant. The secret is stored as issued because receivers check
-- HMACs made with it, so the sender needs it in the clear; the API shows it once, at creation.
CREATE TABLE webhook_endpoints (
  endpoint_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  url TEXT NOT NULL,
  -- JSON array of the event types the endpoint receives.
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  disabled_at TEXT
);

CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant_id, created_at DESC);

-- One row per event and endpoint: the delivery log, and what deduplicates deliveries of an
-- event that reached the queue more than once.
CREATE TABLE webhook_deliveries (
  event_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (endpoint_id),
  tenant_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER,
  last_error TEXT,
  next_attempt_at TEXT,
  delivered_at TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (event_id, endpoint_id)
);

CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at DESC,
  event_id DESC);

-- Which scheduled notifications (expiring, expired, revoked by a scheduled revocation) were
-- emitted for a license: each at most once.
CREATE TABLE license_notifications (
  tenant_id TEXT NOT NULL,
  license_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('expiring', 'expired', 'revoked')),
  notified_at TEXT NOT NULL,
  -- Set once the event reached the queue; rows left NULL by a crash are published again.
  published_at TEXT,
  PRIMARY KEY (license_id, kind)
);

CREATE INDEX license_notifications_unpublished ON license_notifications (published_at);
