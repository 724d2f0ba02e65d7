import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { VaultClient } from "../../src/vault/client.ts";
import { VaultError } from "../../src/vault/errors.ts";
import { devControl } from "../helpers.ts";

function client(
  overrides: Partial<ConstructorParameters<typeof VaultClient>[0]> = {},
): VaultClient {
  return new VaultClient({
    addr: env.VAULT_ADDR,
    token: env.VAULT_TOKEN,
    namespace: env.VAULT_NAMESPACE || undefined,
    mount: "transit",
    timeoutMs: 30_000,
    ...overrides,
  });
}

async function vaultError(promise: Promise<unknown>): Promise<VaultError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VaultError);
  return error as VaultError;
}

const input = new TextEncoder().encode("license bytes");

describe("VaultClient against a Transit origin", () => {
  it("reads a key's type, versions and public keys", async () => {
    const key = await client().readKey("licensing-test-ecdsa-p256");
    expect(key).toMatchObject({
      name: "licensing-test-ecdsa-p256",
      type: "ecdsa-p256",
      supportsSigning: true,
    });
    expect(key.latestVersion).toBeGreaterThanOrEqual(1);
    expect(key.versions[0]?.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it("signs one input and a batch", async () => {
    const vault = client();
    const one = await vault.sign("licensing-test", input);
    expect(one.signature).toMatch(/^vault:v\d+:/);
    expect(one.keyVersion).toBeGreaterThanOrEqual(1);

    const batch = await vault.signBatch("licensing-test", [input, new Uint8Array([1, 2, 3])]);
    expect(batch).toHaveLength(2);
    for (const item of batch) {
      expect(item).toMatchObject({ signature: expect.stringMatching(/^vault:v\d+:/) });
    }
  });

  it("reports health with seal and standby state", async () => {
    const health = await client().health();
    expect(health).toMatchObject({ initialized: true, sealed: false, standby: false });
  });

  it("turns a wrong token into permission_denied", async () => {
    const error = await vaultError(client({ token: "wrong" }).sign("licensing-test", input));
    expect(error).toMatchObject({ kind: "permission_denied", status: 403, retryable: false });
    expect(error.errors).toContain("permission denied");
  });

  it("turns a missing key into not_found", async () => {
    const error = await vaultError(client().readKey("no-such-key"));
    expect(error).toMatchObject({ kind: "not_found", status: 404 });
  });

  it("turns a refused parameter into bad_request with Vault's message", async () => {
    const error = await vaultError(
      client().sign("licensing-test", input, { hash_algorithm: "md5" }),
    );
    expect(error.kind).toBe("bad_request");
    expect(error.status).toBe(400);
    expect(error.errors.length).toBeGreaterThan(0);
  });

  it("turns an unreachable origin into unreachable, retryable", async () => {
    const error = await vaultError(client({ addr: "http://127.0.0.1:9" }).health());
    expect(error.kind).toBe("unreachable");
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
  });
});

describe("VaultClient failure modes", () => {
  const failing = () =>
    client({
      addr: env.TEST_FAILURE_VAULT_ADDR,
      token: env.TEST_FAILURE_VAULT_TOKEN,
      timeoutMs: 300,
    });

  it("understands a sealed Vault, on health and on sign", async () => {
    await devControl("seal");
    try {
      expect(await failing().health()).toMatchObject({ sealed: true });
      const error = await vaultError(failing().sign("licensing-test", input));
      expect(error).toMatchObject({ kind: "sealed", status: 503, retryable: true });
    } finally {
      await devControl("unseal");
    }
  });

  it("gives up after its timeout", async () => {
    await devControl("latency", { ms: 1_500 });
    try {
      const started = Date.now();
      const error = await vaultError(failing().sign("licensing-test", input));
      expect(error.kind).toBe("timeout");
      expect(Date.now() - started).toBeLessThan(1_400);
    } finally {
      await devControl("latency", { ms: 0 });
    }
  });
});

describe("VaultClient requests", () => {
  function recording(status: number, body: unknown, headers: Record<string, string> = {}) {
    const requests: Request[] = [];
    const fetch = async (request: Request): Promise<Response> => {
      requests.push(request);
      const text = typeof body === "string" ? body : JSON.stringify(body);
      return new Response(text, { status, headers });
    };
    return { requests, fetch };
  }

  it("sends token, namespace and Access service token through the injected fetcher", async () => {
    // The fetcher stands in for an mTLS certificate binding, which Miniflare does not simulate.
    const mtls = recording(200, { data: { signature: "vault:v3:AAAA", key_version: 3 } });
    const vault = client({
      addr: "https://vault.internal",
      token: "s.token",
      namespace: "tenant-a",
      mount: "licensing/transit",
      access: { clientId: "id.access", clientSecret: "secret" },
      fetch: mtls.fetch,
    });
    expect(await vault.sign("key", input, { hash_algorithm: "sha2-256" })).toEqual({
      signature: "vault:v3:AAAA",
      keyVersion: 3,
    });

    const request = mtls.requests[0];
    expect(request?.url).toBe("https://vault.internal/v1/licensing/transit/sign/key");
    expect(request?.headers.get("X-Vault-Token")).toBe("s.token");
    expect(request?.headers.get("X-Vault-Namespace")).toBe("tenant-a");
    expect(request?.headers.get("CF-Access-Client-Id")).toBe("id.access");
    expect(request?.headers.get("CF-Access-Client-Secret")).toBe("secret");
    expect(await request?.json()).toEqual({
      input: "bGljZW5zZSBieXRlcw==",
      hash_algorithm: "sha2-256",
    });
  });

  it.each([
    [429, { errors: ["rate limit quota exceeded"] }, { "Retry-After": "7" }, "rate_limited", 7],
    [500, { errors: ["internal error"] }, {}, "unavailable", 5],
    [502, "<html>bad gateway</html>", {}, "unavailable", 5],
    [503, { errors: ["Vault is sealed"] }, {}, "sealed", 5],
    [400, { errors: ["invalid key type"] }, {}, "bad_request", undefined],
  ] as const)("maps HTTP %i to %s", async (status, body, headers, kind, retryAfter) => {
    const fake = recording(status, body, headers);
    const error = await vaultError(client({ fetch: fake.fetch }).sign("key", input));
    expect(error.kind).toBe(kind);
    expect(error.retryAfterSeconds).toBe(retryAfter);
  });

  it("rejects a batch answer of the wrong size", async () => {
    const fake = recording(200, { data: { batch_results: [{ signature: "vault:v1:AA" }] } });
    const error = await vaultError(client({ fetch: fake.fetch }).signBatch("key", [input, input]));
    expect(error.kind).toBe("invalid_response");
  });
});
