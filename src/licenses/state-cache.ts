import type { ValidationState } from "./store.ts";

const MAX_ENTRIES = 10_000;

interface Entry {
  state: ValidationState;
  storedAt: number;
}

/**
 * License state kept in this isolate for a bounded time, so hot licenses validate without a D1
 * read. Changes made through this isolate drop the entry at once; changes made elsewhere are
 * seen once the entry is older than the configured freshness.
 */
export class LicenseStateCache {
  readonly #entries = new Map<string, Entry>();

  get(tenantId: string, licenseId: string, maxAgeMs: number, now: number): Entry | undefined {
    const key = `${tenantId}|${licenseId}`;
    const entry = this.#entries.get(key);
    if (!entry) {
      return undefined;
    }
    if (now - entry.storedAt >= maxAgeMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(tenantId: string, licenseId: string, state: ValidationState, now: number): void {
    if (this.#entries.size >= MAX_ENTRIES) {
      // Maps iterate in insertion order, so the first key is the oldest entry.
      const oldest = this.#entries.keys().next();
      if (!oldest.done) {
        this.#entries.delete(oldest.value);
      }
    }
    this.#entries.set(`${tenantId}|${licenseId}`, { state, storedAt: now });
  }

  delete(tenantId: string, licenseId: string): void {
    this.#entries.delete(`${tenantId}|${licenseId}`);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** The one cache of this isolate. */
export const licenseStateCache = new LicenseStateCache();
