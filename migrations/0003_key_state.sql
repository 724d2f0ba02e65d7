-- The signing key of each tenant as this service knows it: the newest version (so every
-- isolate notices a rotation through a version check) and the oldest version still accepted
-- (licenses signed with an older one report KEY_VERSION_RETIRED).
CREATE TABLE key_state (
  tenant_id TEXT PRIMARY KEY,
  key_name TEXT NOT NULL,
  key_type TEXT NOT NULL,
  latest_version INTEGER NOT NULL,
  min_version INTEGER NOT NULL DEFAULT 1,
  updated_at TEXT NOT NULL
);
