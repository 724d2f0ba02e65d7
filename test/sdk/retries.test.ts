// When the client retries and when it does not: idempotency keys reused across attempts, a
// rate-limited caller, a failing service, requests that must not be sent twice, timeouts.

import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type FetchLike,
  LicenseApiError,
  LicenseClient,
  LicenseNetworkError,
  type RetryEvent,
} from "../../sdk/index.ts";
import {
  adminClient,
  BASE_URL,
  daysFromNow,
  envelope,
  fakeSleep,
  jsonResponse,
  recorded,
  uniqueCustomer,
  workerFetch,
} from "./helpers.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const LICENSE_ID = "lic_01j9z3k8x2m4n6p8r0t2v4x6z8";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (reason: unknown) => reason,
  );
}

async function apiError(promise: Promise<unknown>): Promise<LicenseApiError> {
  const error = await rejection(promise);
  if (!(error instanceof LicenseApiError)) {
    throw new Error(`expected a LicenseApiError, got ${String(error)}`);
  }
  return error;
}

async function networkError(promise: Promise<unknown>): Promise<LicenseNetworkError> {
  const error = await rejection(promise);
  if (!(error instanceof LicenseNetworkError)) {
    throw new Error(`expected a LicenseNetworkError, got ${String(error)}`);
  }
  return error;
}

/** A fetch that answers with `script` in turn, then hands requests to the Worker. */
function scripted(script: (() => Response | Promise<Response>)[]): FetchLike {
  const forward = workerFetch();
  let calls = 0;
  return async (input, init) => {
    const step = script[calls++];
    return step === undefined ? await forward(input, init) : await step();
  };
}

function issueRequest(customer = uniqueCustomer()) {
  return { customer, modules: ["core"], expires_at: daysFromNow(30) };
}

async function licensesOf(customer: string): Promise<number> {
  const page = await adminClient().list({ customer });
  return page.licenses.length;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("idempotency across the client's own retries", () => {
  it("reuses the key after a network failure before the request arrived", async () => {
    const customer = uniqueCustomer("idem");
    const { fetch, requests } = recorded(
      scripted([
        () => {
          throw new TypeError("fetch failed");
        },
      ]),
    );
    const client = adminClient({ fetch });
    const issued = await client.issue(issueRequest(customer));

    expect(requests).toHaveLength(2);
    const keys = requests.map((r) => r.headers.get("Idempotency-Key"));
    expect(keys[0]).toMatch(UUID);
    expect(keys[1]).toBe(keys[0]);
    expect(issued.license.customer).toBe(customer);
    expect(await licensesOf(customer)).toBe(1);
  });

  it("gets the first answer again when the response of a request that ran was lost", async () => {
    const customer = uniqueCustomer("idem");
    const forward = workerFetch();
    let first: Response | undefined;
    const { fetch, requests } = recorded(async (input, init) => {
      const response = await forward(input, init);
      if (first === undefined) {
        // The license was issued, but the answer never reaches the client.
        first = response;
        throw new TypeError("connection reset");
      }
      return response;
    });
    const issued = await adminClient({ fetch }).issue(issueRequest(customer));

    expect(requests).toHaveLength(2);
    expect(requests[1]?.headers.get("Idempotency-Key")).toBe(
      requests[0]?.headers.get("Idempotency-Key"),
    );
    expect(requests[1]?.response?.headers.get("Idempotent-Replayed")).toBe("true");
    const lost = (await first?.json()) as { license: { license_id: string } };
    expect(issued.license.license_id).toBe(lost.license.license_id);
    expect(await licensesOf(customer)).toBe(1);
  });

  it("does the same for renew and batch issue, with a key of the caller's choosing", async () => {
    const client = adminClient();
    const { license } = await client.issue(issueRequest());
    const { fetch, requests } = recorded(
      scripted([
        () => {
          throw new TypeError("fetch failed");
        },
        () => {
          throw new TypeError("fetch failed");
        },
      ]),
    );
    const flaky = adminClient({ fetch });
    const renewed = await flaky.renew(
      { license_id: license.license_id, new_expires_at: daysFromNow(60) },
      { idempotencyKey: "renewal-1" },
    );
    expect(renewed.license.renewed_from).toBe(license.license_id);
    const batch = await flaky.batchIssue([issueRequest()], { idempotencyKey: "batch:1" });
    expect(batch.issued).toBe(1);
    expect(requests.map((r) => r.headers.get("Idempotency-Key"))).toEqual([
      "renewal-1",
      "renewal-1",
      "renewal-1",
      "batch:1",
    ]);
  });

  it("makes a new key for each call", async () => {
    const { fetch, requests } = recorded(workerFetch());
    const client = adminClient({ fetch });
    await client.issue(issueRequest());
    await client.issue(issueRequest());
    const [a, b] = requests.map((r) => r.headers.get("Idempotency-Key"));
    expect(a).toMatch(UUID);
    expect(b).toMatch(UUID);
    expect(a).not.toBe(b);
  });

  it("waits out a 409 from a retry that overtook the first attempt", async () => {
    const inProgress = envelope("CONFLICT", "a request with this Idempotency-Key is in progress");
    const { sleep, waits } = fakeSleep();
    const { fetch, requests } = recorded(
      scripted([() => jsonResponse(409, inProgress, { "Retry-After": "1" })]),
    );
    const issued = await adminClient({ fetch, sleep }).issue(issueRequest());
    expect(issued.success).toBe(true);
    expect(waits).toEqual([1_000]);
    expect(requests).toHaveLength(2);
  });

  it("refuses a malformed key before sending anything", () => {
    const client = adminClient();
    expect(() => client.issue(issueRequest(), { idempotencyKey: "has space" })).toThrow(TypeError);
    expect(() =>
      client.renew(
        { license_id: LICENSE_ID, new_expires_at: "2030-01-01" },
        {
          idempotencyKey: "",
        },
      ),
    ).toThrow(TypeError);
  });
});

describe("a rate-limited caller", () => {
  it("waits Retry-After, retries maxRetries times, then throws RATE_LIMITED", async () => {
    const { secret } = await adminClient().credentials.create({
      name: "sdk rate limit",
      role: "issuer",
    });
    const { sleep, waits } = fakeSleep();
    const events: RetryEvent[] = [];
    const { fetch, requests } = recorded(workerFetch({ RATE_LIMIT_ISSUE: "1" } as Partial<Env>));
    const client = new LicenseClient({
      baseUrl: BASE_URL,
      apiKey: secret,
      fetch,
      sleep,
      maxRetries: 2,
      maxRetryDelayMs: 120_000,
      onRetry: (event) => events.push(event),
    });

    await client.issue(issueRequest());
    const error = await apiError(client.issue(issueRequest()));

    expect(error.status).toBe(429);
    expect(error.code).toBe("RATE_LIMITED");
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    const limited = requests.slice(1);
    expect(limited).toHaveLength(3);
    expect(limited.map((r) => r.response?.status)).toEqual([429, 429, 429]);
    const retryAfter = limited.map((r) => Number(r.response?.headers.get("Retry-After")));
    expect(retryAfter.every((seconds) => seconds > 0 && seconds <= 60)).toBe(true);
    expect(waits).toEqual([retryAfter[0], retryAfter[1]].map((seconds) => (seconds ?? 0) * 1_000));
    expect(error.retryAfterSeconds).toBe(retryAfter[2]);
    expect(new Set(limited.map((r) => r.headers.get("Idempotency-Key"))).size).toBe(1);
    expect(events.map((e) => [e.attempt, e.delayMs, e.path])).toEqual([
      [1, waits[0], "/license/issue"],
      [2, waits[1], "/license/issue"],
    ]);
    expect(events.every((e) => e.error instanceof LicenseApiError)).toBe(true);
  });

  it("caps a long Retry-After at maxRetryDelayMs", async () => {
    const { sleep, waits } = fakeSleep();
    const limited = () => jsonResponse(429, envelope("RATE_LIMITED"), { "Retry-After": "3600" });
    const client = adminClient({ fetch: scripted([limited]), sleep });
    await client.list({ limit: 1 });
    expect(waits).toEqual([30_000]);
  });

  it("reads Retry-After given as an HTTP date", async () => {
    const { sleep, waits } = fakeSleep();
    const when = new Date(Date.now() + 5_000).toUTCString();
    const limited = () => jsonResponse(429, envelope("RATE_LIMITED"), { "Retry-After": when });
    await adminClient({ fetch: scripted([limited]), sleep }).list({ limit: 1 });
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(4_000);
    expect(waits[0]).toBeLessThanOrEqual(6_000);
  });

  it("retries a 429 even for requests that must not be sent twice", async () => {
    const client = adminClient();
    const { license } = await client.issue(issueRequest());
    const { sleep, waits } = fakeSleep();
    const limited = () => jsonResponse(429, envelope("RATE_LIMITED"), { "Retry-After": "1" });
    const revoked = await adminClient({ fetch: scripted([limited]), sleep }).revoke(
      license.license_id,
      "after a 429",
    );
    expect(revoked.status).toBe("revoked");
    expect(waits).toEqual([1_000]);
  });
});

describe("a failing service", () => {
  const vaultDown = () =>
    jsonResponse(503, envelope("VAULT_ERROR", "Vault is sealed"), { "Retry-After": "2" });

  it("retries 503 VAULT_ERROR after Retry-After and then succeeds", async () => {
    const customer = uniqueCustomer("vault");
    const { sleep, waits } = fakeSleep();
    const { fetch, requests } = recorded(scripted([vaultDown, vaultDown]));
    const issued = await adminClient({ fetch, sleep }).issue(issueRequest(customer));

    expect(issued.license.customer).toBe(customer);
    expect(requests.map((r) => r.response?.status)).toEqual([503, 503, 201]);
    expect(waits).toEqual([2_000, 2_000]);
    expect(new Set(requests.map((r) => r.headers.get("Idempotency-Key"))).size).toBe(1);
    expect(await licensesOf(customer)).toBe(1);
  });

  it("gives up after maxRetries with the last error", async () => {
    const { sleep, waits } = fakeSleep();
    const { fetch, requests } = recorded(scripted([vaultDown, vaultDown, vaultDown, vaultDown]));
    const error = await apiError(adminClient({ fetch, sleep }).issue(issueRequest()));
    expect(error.code).toBe("VAULT_ERROR");
    expect(error.status).toBe(503);
    expect(error.retryAfterSeconds).toBe(2);
    expect(requests).toHaveLength(4);
    expect(waits).toEqual([2_000, 2_000, 2_000]);
  });

  it("backs off exponentially with full jitter without Retry-After", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const { sleep, waits } = fakeSleep();
    const down = () => jsonResponse(503, envelope("VAULT_ERROR"));
    const client = adminClient({ fetch: scripted([down, down, down, down]), sleep });
    await apiError(client.list());
    expect(waits).toEqual([125, 250, 500]);
  });

  it("keeps the backoff under maxRetryDelayMs", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    const { sleep, waits } = fakeSleep();
    const down = () => jsonResponse(503, envelope("VAULT_ERROR"));
    const client = adminClient({
      fetch: scripted([down, down, down]),
      sleep,
      retryBaseMs: 1_000,
      maxRetryDelayMs: 1_500,
    });
    await client.list();
    expect(waits).toEqual([999, 1_498, 1_498]);
  });

  it("does not retry 500 INTERNAL", async () => {
    const { sleep, waits } = fakeSleep();
    const broken = () => jsonResponse(500, envelope("INTERNAL", "internal error"));
    const { fetch, requests } = recorded(scripted([broken]));
    const error = await apiError(adminClient({ fetch, sleep }).issue(issueRequest()));
    expect(error.code).toBe("INTERNAL");
    expect(requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it("does not retry a 409 that is not about an Idempotency-Key in progress", async () => {
    const conflict = () => jsonResponse(409, envelope("CONFLICT"), { "Retry-After": "1" });
    const { fetch, requests } = recorded(scripted([conflict]));
    const error = await apiError(adminClient({ fetch }).suspend(LICENSE_ID));
    expect(error.code).toBe("CONFLICT");
    expect(requests).toHaveLength(1);
  });

  it("never sends twice what must not be done twice after a network failure or a 503", async () => {
    const cases: [string, (client: LicenseClient) => Promise<unknown>][] = [
      ["revoke", (c) => c.revoke(LICENSE_ID, "r")],
      ["suspend", (c) => c.suspend(LICENSE_ID)],
      ["reinstate", (c) => c.reinstate(LICENSE_ID)],
      ["credentials.create", (c) => c.credentials.create({ name: "n", role: "reader" })],
      ["credentials.revoke", (c) => c.credentials.revoke("key_AbCdEfGhIjKlMnOp")],
      ["tenants.create", (c) => c.tenants.create({ tenant_id: "t-1", name: "T" })],
      ["keys.create", (c) => c.keys.create("ed25519")],
      ["keys.rotate", (c) => c.keys.rotate()],
      ["keys.setMinVersion", (c) => c.keys.setMinVersion(2)],
    ];
    for (const [name, run] of cases) {
      const offline = recorded(async () => {
        throw new TypeError("fetch failed");
      });
      const error = await networkError(run(adminClient({ fetch: offline.fetch })));
      expect(error.timedOut, name).toBe(false);
      expect(offline.requests, name).toHaveLength(1);

      const down = recorded(async () => jsonResponse(503, envelope("VAULT_ERROR")));
      expect((await apiError(run(adminClient({ fetch: down.fetch })))).code, name).toBe(
        "VAULT_ERROR",
      );
      expect(down.requests, name).toHaveLength(1);
    }
  });

  it("retries reads and validation after a network failure", async () => {
    const client = adminClient();
    const { license } = await client.issue(issueRequest());
    const fail = () => {
      throw new TypeError("fetch failed");
    };
    const { fetch, requests } = recorded(scripted([fail, fail]));
    const flaky = adminClient({ fetch });
    expect(await flaky.validate(license)).toMatchObject({ valid: true });
    expect((await flaky.get(license.license_id)).status).toBe("active");
    expect(requests).toHaveLength(4);
  });

  it("reports a network failure after the last retry", async () => {
    const { sleep, waits } = fakeSleep();
    const { fetch, requests } = recorded(async () => {
      throw new TypeError("fetch failed");
    });
    const error = await networkError(adminClient({ fetch, sleep, maxRetries: 2 }).health());
    expect(error.message).toMatch(/GET \/health failed: fetch failed/);
    expect(error.cause).toBeInstanceOf(TypeError);
    expect(requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it("times out an attempt that gets no answer", async () => {
    const hanging: FetchLike = (_input, init) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    const { fetch, requests } = recorded(hanging);
    const client = adminClient({ fetch, timeoutMs: 20, maxRetries: 1 });
    const error = await networkError(client.list());
    expect(error.timedOut).toBe(true);
    expect(error.message).toMatch(/no answer within 20 ms/);
    expect(requests).toHaveLength(2);
  });
});

describe("answers that are not errors, and errors that are not the service's", () => {
  it("returns a degraded health report instead of throwing", async () => {
    const degraded = { status: "degraded", can_issue: false, can_validate: true };
    const { fetch, requests } = recorded(scripted([() => jsonResponse(503, degraded)]));
    expect(await adminClient({ fetch }).health()).toEqual(degraded);
    expect(requests).toHaveLength(1);
  });

  it("returns valid: false as a result", async () => {
    const client = adminClient();
    const { license } = await client.issue(issueRequest());
    const result = await client.validate({ ...license, modules: ["everything"] });
    expect(result).toMatchObject({ valid: false, code: "INVALID_SIGNATURE" });
  });

  it("reports a proxy's HTML page with code null and its text", async () => {
    const page = () =>
      new Response("<html>Bad Gateway</html>", {
        status: 502,
        headers: { "X-Request-Id": "edge-1" },
      });
    const { fetch, requests } = recorded(scripted([page]));
    const error = await apiError(adminClient({ fetch }).list());
    expect(error.status).toBe(502);
    expect(error.code).toBeNull();
    expect(error.body).toBe("<html>Bad Gateway</html>");
    expect(error.requestId).toBe("edge-1");
    expect(error.message).toMatch(/not JSON/);
    expect(requests).toHaveLength(1);
  });

  it("reports a 2xx answer that is not JSON as an error", async () => {
    const page = () => new Response("<html>Sign in to the Wi-Fi</html>", { status: 200 });
    const error = await apiError(adminClient({ fetch: scripted([page]) }).list());
    expect(error.status).toBe(200);
    expect(error.code).toBeNull();
  });

  it("keeps a code it does not know in the body, with code null", async () => {
    const future = () => jsonResponse(418, { ...envelope("TEAPOT"), details: { x: 1 } });
    const error = await apiError(adminClient({ fetch: scripted([future]) }).list());
    expect(error.code).toBeNull();
    expect(error.body).toMatchObject({ code: "TEAPOT" });
    expect(error.details).toEqual({ x: 1 });
    expect(error.message).toMatch(/stand-in TEAPOT/);
  });
});
