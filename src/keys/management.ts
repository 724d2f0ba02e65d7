import type { AuditWriter } from "../audit/writer.ts";
import { type PublicJwk, vaultKeyToJwk } from "../crypto/jwk.ts";
import { isVaultKeyType, type VaultKeyType } from "../crypto/verify.ts";
import { ApiError } from "../errors.ts";
import { licenseStateCache } from "../licenses/state-cache.ts";
import type { VaultClient } from "../vault/client.ts";
import { VaultError } from "../vault/errors.ts";
import type { Keyring } from "./keyring.ts";
import { jwsAlgorithm, keyId } from "./profiles.ts";
import { loadPublicKeys, readKeyState, setMinVersion } from "./store.ts";

export interface KeyVersionView {
  version: number;
  kid: string;
  public_key: string;
  created_at: string | null;
  /** Below the minimum version: licenses signed with it report KEY_VERSION_RETIRED. */
  retired: boolean;
}

export interface KeyView {
  name: string;
  type: string;
  latest_version: number;
  min_version: number;
  versions: KeyVersionView[];
}

/** The parts a key operation works on: one tenant's key, in its Vault namespace. */
export interface KeyScope {
  db: D1Database;
  vault: VaultClient;
  keyring: Keyring;
  tenantId: string;
  audit: AuditWriter;
}

/** Records a key change, made in Vault, once Vault has made it. */
async function audited(
  scope: KeyScope,
  action: "key.created" | "key.rotated" | "key.min_version_set",
  view: KeyView,
): Promise<KeyView> {
  const fields = {
    type: view.type,
    latest_version: view.latest_version,
    min_version: view.min_version,
  };
  await scope.db.batch([await scope.audit.entry(scope.db, action, view.name, fields)]);
  scope.audit.committed();
  return view;
}

/** The key as Vault has it now, with this service's minimum version. */
export async function showKey(scope: KeyScope): Promise<KeyView> {
  const key = await scope.keyring.refresh();
  const state = await readKeyState(scope.db, scope.tenantId);
  const minVersion = state?.keyName === key.name ? state.minVersion : 1;
  return {
    name: key.name,
    type: key.type,
    latest_version: key.latestVersion,
    min_version: minVersion,
    versions: key.versions.map((v) => ({
      version: v.version,
      kid: keyId(key.name, v.version),
      public_key: v.publicKey,
      created_at: v.createdAt ?? null,
      retired: v.version < minVersion,
    })),
  };
}

/** Creates the tenant's signing key in Vault; an existing key is never replaced. */
export async function createKey(scope: KeyScope, type: VaultKeyType): Promise<KeyView> {
  const name = scope.keyring.keyName;
  const existing = await scope.vault.readKey(name).catch((error: unknown) => {
    if (error instanceof VaultError && error.kind === "not_found") {
      return undefined;
    }
    throw error;
  });
  if (existing) {
    throw new ApiError("CONFLICT", `Transit key ${name} already exists (type ${existing.type})`);
  }
  await scope.vault.createKey(name, type);
  return await audited(scope, "key.created", await showKey(scope));
}

/** Adds a key version; new licenses are signed with it from this request on, everywhere. */
export async function rotateKey(scope: KeyScope): Promise<KeyView> {
  await scope.vault.rotateKey(scope.keyring.keyName);
  return await audited(scope, "key.rotated", await showKey(scope));
}

/**
 * Retires every version below `minVersion`: Vault stops signing with them and licenses they
 * signed report KEY_VERSION_RETIRED. Lowering it again brings them back.
 */
export async function setMinimumVersion(scope: KeyScope, minVersion: number): Promise<KeyView> {
  const key = await scope.keyring.refresh();
  if (minVersion > key.latestVersion) {
    throw new ApiError(
      "INVALID_LICENSE",
      `min_version cannot be above the latest version, ${key.latestVersion}`,
      { details: { field: "min_version" } },
    );
  }
  await scope.vault.configureKey(key.name, { min_encryption_version: minVersion });
  await setMinVersion(scope.db, scope.tenantId, minVersion, new Date().toISOString());
  // Cached validation answers carry the old minimum; this isolate must not serve them.
  licenseStateCache.clear();
  return await audited(scope, "key.min_version_set", await showKey(scope));
}

const jwkCache = new Map<string, Promise<PublicJwk>>();

/** The JWK set of a tenant's non-retired key versions, from D1 (and Vault when D1 has none). */
export async function publishedKeys(scope: Omit<KeyScope, "audit">): Promise<PublicJwk[]> {
  const name = scope.keyring.keyName;
  let stored = await loadPublicKeys(scope.db, scope.tenantId, name);
  if (stored.length === 0) {
    await scope.keyring.refresh();
    stored = await loadPublicKeys(scope.db, scope.tenantId, name);
  }
  const state = await readKeyState(scope.db, scope.tenantId);
  const minVersion = state?.keyName === name ? state.minVersion : 1;

  const jwks: Promise<PublicJwk>[] = [];
  for (const row of stored) {
    if (row.version < minVersion || !isVaultKeyType(row.keyType)) {
      continue;
    }
    const type = row.keyType;
    const kid = keyId(name, row.version);
    const cacheKey = `${scope.tenantId}|${kid}`;
    let jwk = jwkCache.get(cacheKey);
    if (!jwk) {
      jwk = vaultKeyToJwk(type, row.publicKey, kid, jwsAlgorithm(type));
      jwkCache.set(cacheKey, jwk);
    }
    jwks.push(jwk);
  }
  return await Promise.all(jwks);
}
