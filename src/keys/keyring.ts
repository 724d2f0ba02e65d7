import type { VaultKeyType, VerificationKey } from "../crypto/verify.ts";
import { importVaultPublicKey, isVaultKeyType } from "../crypto/verify.ts";
import type { TransitKey, VaultClient } from "../vault/client.ts";
import { signatureOptions } from "./profiles.ts";
import { loadPublicKeys, readKeyState, savePublicKeys } from "./store.ts";

export interface SigningKey {
  name: string;
  type: VaultKeyType;
  latestVersion: number;
  /** The oldest version licenses may still be signed with and validated against. */
  minVersion: number;
}

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyringError";
  }
}

/** How long the latest key version is trusted for issuing before Vault is asked again. */
const SIGNING_KEY_TTL_MS = 60_000;
/** A version a refresh did not find is not looked up in Vault again for this long. */
const MISSING_VERSION_TTL_MS = 30_000;

interface Scope {
  /** Imported keys by version; a promise so that concurrent requests import once. */
  verification: Map<number, Promise<VerificationKey>>;
  loadedFromStore: Promise<void> | undefined;
  refresh: Promise<TransitKey> | undefined;
  missing: Map<number, number>;
  signing: { key: Omit<SigningKey, "minVersion">; fetchedAt: number } | undefined;
}

// Per isolate: every request of an isolate shares one imported CryptoKey per key version.
const scopes = new Map<string, Scope>();

export interface KeyringOptions {
  db: D1Database;
  vault: VaultClient;
  tenantId: string;
  keyName: string;
  /** Distinguishes Vault clusters and namespaces that may hold keys of the same name. */
  vaultScope: string;
  now?: () => number;
}

/**
 * Public keys of one Transit key, looked up in memory, then D1, then Vault. Verification
 * normally stops at memory; Vault is asked only for versions nobody has seen yet.
 */
export class Keyring {
  readonly #options: KeyringOptions;
  readonly #scope: Scope;
  readonly #now: () => number;

  constructor(options: KeyringOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const id = `${options.vaultScope}|${options.tenantId}|${options.keyName}`;
    let scope = scopes.get(id);
    if (!scope) {
      scope = {
        verification: new Map(),
        loadedFromStore: undefined,
        refresh: undefined,
        missing: new Map(),
        signing: undefined,
      };
      scopes.set(id, scope);
    }
    this.#scope = scope;
  }

  /** The key that verifies signatures of `version`; undefined when Vault has no such version. */
  async verificationKey(version: number): Promise<VerificationKey | undefined> {
    const scope = this.#scope;
    const cached = scope.verification.get(version);
    if (cached) {
      return await cached;
    }

    scope.loadedFromStore ??= this.#loadFromStore().catch((error: unknown) => {
      scope.loadedFromStore = undefined;
      throw error;
    });
    await scope.loadedFromStore;
    const stored = scope.verification.get(version);
    if (stored) {
      return await stored;
    }

    const missingSince = scope.missing.get(version);
    if (missingSince !== undefined && this.#now() - missingSince < MISSING_VERSION_TTL_MS) {
      return undefined;
    }
    await this.refresh();
    const refreshed = scope.verification.get(version);
    if (!refreshed) {
      scope.missing.set(version, this.#now());
      return undefined;
    }
    return await refreshed;
  }

  /**
   * The key and version to issue with. A rotation made through any Worker is noticed at once
   * through the newest version recorded in D1; one made directly in Vault within a minute.
   */
  async signingKey(): Promise<SigningKey> {
    const { db, tenantId, keyName } = this.#options;
    const state = await readKeyState(db, tenantId);
    const signing = this.#scope.signing;
    const current =
      signing !== undefined &&
      state?.keyName === keyName &&
      state.latestVersion === signing.key.latestVersion &&
      this.#now() - signing.fetchedAt < SIGNING_KEY_TTL_MS;
    if (!current) {
      await this.refresh();
    }
    const fresh = this.#scope.signing;
    if (!fresh) {
      throw new KeyringError(`Transit key ${keyName} has no signing version`);
    }
    return { ...fresh.key, minVersion: state?.keyName === keyName ? state.minVersion : 1 };
  }

  /** What this isolate holds of the key, for operators: versions and how old its view is. */
  cacheState(): {
    cached_versions: number[];
    latest_version: number | null;
    age_ms: number | null;
  } {
    const signing = this.#scope.signing;
    return {
      cached_versions: [...this.#scope.verification.keys()].sort((a, b) => a - b),
      latest_version: signing?.key.latestVersion ?? null,
      age_ms: signing ? this.#now() - signing.fetchedAt : null,
    };
  }

  get keyName(): string {
    return this.#options.keyName;
  }

  /**
   * Reads the key from Vault, stores its public keys in D1 before anything can be signed with
   * them, and updates this isolate's cache. Concurrent callers share one Vault request.
   */
  async refresh(): Promise<TransitKey> {
    const scope = this.#scope;
    scope.refresh ??= this.#refreshFromVault().finally(() => {
      scope.refresh = undefined;
    });
    return await scope.refresh;
  }

  async #refreshFromVault(): Promise<TransitKey> {
    const { db, vault, tenantId, keyName } = this.#options;
    const key = await vault.readKey(keyName);
    if (!isVaultKeyType(key.type)) {
      throw new KeyringError(
        `Transit key ${keyName} has type ${key.type}, which cannot sign licenses`,
      );
    }
    await savePublicKeys(db, tenantId, key, new Date(this.#now()).toISOString());
    for (const version of key.versions) {
      this.#remember(version.version, key.type, version.publicKey);
      this.#scope.missing.delete(version.version);
    }
    this.#scope.signing = {
      key: { name: keyName, type: key.type, latestVersion: key.latestVersion },
      fetchedAt: this.#now(),
    };
    return key;
  }

  async #loadFromStore(): Promise<void> {
    const { db, tenantId, keyName } = this.#options;
    for (const row of await loadPublicKeys(db, tenantId, keyName)) {
      if (isVaultKeyType(row.keyType)) {
        this.#remember(row.version, row.keyType, row.publicKey);
      }
    }
  }

  #remember(version: number, type: VaultKeyType, publicKey: string): void {
    if (this.#scope.verification.has(version)) {
      return;
    }
    const imported = importVaultPublicKey(type, publicKey, {
      ...signatureOptions(type),
      keyVersion: version,
    });
    // A key that fails to import is dropped so that a later refresh can try again.
    imported.catch(() => this.#scope.verification.delete(version));
    this.#scope.verification.set(version, imported);
  }
}

/** Forgets every cached key of this isolate; for tests that simulate a fresh isolate. */
export function clearKeyringCache(): void {
  scopes.clear();
}
