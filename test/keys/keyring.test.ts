import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { VAULT_KEY_TYPES, verifyVaultSignature } from "../../src/crypto/verify.ts";
import { clearKeyringCache, Keyring } from "../../src/keys/keyring.ts";
import { signatureOptions, signParams } from "../../src/keys/profiles.ts";
import { VaultClient } from "../../src/vault/client.ts";
import { VaultError } from "../../src/vault/errors.ts";

/** A Vault client that counts the requests it sends, or fails them all when `down`. */
function countingVault(options: { down?: boolean } = {}) {
  const counter = { requests: 0 };
  const vault = new VaultClient({
    addr: env.VAULT_ADDR,
    token: env.VAULT_TOKEN,
    namespace: env.VAULT_NAMESPACE || undefined,
    mount: "transit",
    timeoutMs: 60_000,
    fetch: async (request) => {
      counter.requests += 1;
      if (options.down) {
        throw new TypeError("connection refused");
      }
      return await fetch(request);
    },
  });
  return { vault, counter };
}

function keyring(vault: VaultClient, keyName: string): Keyring {
  return new Keyring({
    db: env.DB,
    vault,
    tenantId: "default",
    keyName,
    vaultScope: "keyring-test",
  });
}

const message = new TextEncoder().encode('{"customer":"acme"}');

beforeEach(() => {
  clearKeyringCache();
});

describe("Keyring", () => {
  it.each(VAULT_KEY_TYPES)(
    "verifies what Vault signs with a %s key in the license profile",
    async (type) => {
      const { vault } = countingVault();
      const ring = keyring(vault, `licensing-test-${type}`);
      const signing = await ring.signingKey();
      expect(signing.type).toBe(type);

      const signed = await vault.sign(
        signing.name,
        message,
        signParams(type, signing.latestVersion),
      );
      const key = await ring.verificationKey(signed.keyVersion);
      if (!key) {
        throw new Error("no key");
      }
      const options = signatureOptions(type);
      expect(await verifyVaultSignature(key, message, signed.signature, options)).toBe(true);
      const altered = new Uint8Array(message);
      altered[0] = (altered[0] ?? 0) ^ 1;
      expect(await verifyVaultSignature(key, altered, signed.signature, options)).toBe(false);
    },
  );

  it("stores public keys in D1 so that a fresh isolate verifies while Vault is down", async () => {
    const up = countingVault();
    const signed = await up.vault.sign("licensing-test", message, signParams("ed25519"));
    await keyring(up.vault, "licensing-test").refresh();

    clearKeyringCache();
    const down = countingVault({ down: true });
    const key = await keyring(down.vault, "licensing-test").verificationKey(signed.keyVersion);
    expect(key).toBeDefined();
    expect(down.counter.requests).toBe(0);
    if (key) {
      expect(await verifyVaultSignature(key, message, signed.signature)).toBe(true);
    }
  });

  it("serves known versions from memory without calling Vault", async () => {
    const { vault, counter } = countingVault();
    const ring = keyring(vault, "licensing-test");
    const { latestVersion } = await ring.signingKey();
    const before = counter.requests;
    for (let i = 0; i < 50; i += 1) {
      expect(await ring.verificationKey(latestVersion)).toBeDefined();
    }
    expect(counter.requests).toBe(before);
  });

  it("refreshes once for an unknown version, however many ask at once", async () => {
    const { vault, counter } = countingVault();
    const ring = keyring(vault, "licensing-test");
    const results = await Promise.all(
      Array.from({ length: 25 }, () => ring.verificationKey(9_999)),
    );
    expect(results.every((r) => r === undefined)).toBe(true);
    expect(counter.requests).toBe(1);

    // The miss is remembered: asking again soon does not go back to Vault.
    expect(await ring.verificationKey(9_999)).toBeUndefined();
    expect(counter.requests).toBe(1);
  });

  it("reports Vault's failure when a version is neither cached nor stored", async () => {
    const { vault } = countingVault({ down: true });
    const ring = new Keyring({
      db: env.DB,
      vault,
      tenantId: "tenant-without-keys",
      keyName: "licensing-test",
      vaultScope: "keyring-test",
    });
    const error = await ring.verificationKey(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultError);
    expect(error).toMatchObject({ kind: "unreachable" });
  });
});
