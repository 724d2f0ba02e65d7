import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/auth/api-keys.ts";
import { call, daysFromNow, expectError, expectStatus, issue } from "../helpers.ts";

describe("RateLimiter Durable Object", () => {
  it("lets exactly the limit through when requests arrive at once", async () => {
    const limiter = env.RATE_LIMITER.getByName(`exact-${crypto.randomUUID()}`);
    const decisions = await Promise.all(
      Array.from({ length: 12 }, () => limiter.hit("t", 5, 60_000)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    expect(decisions.filter((d) => !d.allowed).every((d) => d.remaining === 0)).toBe(true);
    expect(decisions.map((d) => d.remaining).sort()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
  });

  it("opens a fresh window once the old one has passed", async () => {
    const limiter = env.RATE_LIMITER.getByName(`reset-${crypto.randomUUID()}`);
    expect((await limiter.hit("t", 1, 300)).allowed).toBe(true);
    expect((await limiter.hit("t", 1, 300)).allowed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await limiter.hit("t", 1, 300)).allowed).toBe(true);
  });
});

describe("issuing rate limit", () => {
  it("refuses requests past an API key's budget with 429 and the standard headers", async () => {
    const secret = `issuer-${crypto.randomUUID()}`;
    await env.DB.prepare(
      `INSERT INTO api_keys (key_id, name, role, key_hash, created_at)
       VALUES (?1, 'rate test', 'issuer', ?2, ?3)`,
    )
      .bind(`key_${crypto.randomUUID()}`, await hashApiKey(secret), new Date().toISOString())
      .run();
    const limited = { RATE_LIMIT_ISSUE: "2" } as Partial<Env>;
    const body = { customer: "rate", modules: [], expires_at: daysFromNow(3) };

    const first = await call("POST", "/license/issue", { body, key: secret, env: limited });
    expectStatus(first, 201);
    expect(first.headers.get("RateLimit-Policy")).toBe('"issue";q=2;w=60');
    expect(first.headers.get("RateLimit")).toMatch(/^"issue";r=1;t=\d+$/);
    expectStatus(await call("POST", "/license/issue", { body, key: secret, env: limited }), 201);

    const third = await call("POST", "/license/issue", { body, key: secret, env: limited });
    expectError(third, 429, "RATE_LIMITED");
    expect(Number(third.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(third.headers.get("RateLimit")).toMatch(/^"issue";r=0;t=\d+$/);

    // Another key's budget is its own.
    expectStatus(await call("POST", "/license/issue", { body, env: limited }), 201);
  });
});

describe("validation rate limit", () => {
  it("counts callers without a credential by client IP", async () => {
    const license = await issue();
    const limited = { RATE_LIMIT_VALIDATE: "2" } as Partial<Env>;
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}-${crypto.randomUUID()}`;
    const from = (address: string) =>
      call("POST", "/license/validate", {
        body: { license },
        key: null,
        headers: { "CF-Connecting-IP": address },
        env: limited,
      });

    expectStatus(await from(ip), 200);
    expectStatus(await from(ip), 200);
    const third = await from(ip);
    expectError(third, 429, "RATE_LIMITED");
    expect(third.headers.get("RateLimit-Policy")).toBe('"validate";q=2;w=60');
    expectStatus(await from(`${ip}-other`), 200);
  });
});

describe("when the limiter itself fails", () => {
  const broken = {
    RATE_LIMITER: {
      getByName() {
        throw new Error("limiter unavailable");
      },
    },
  } as unknown as Partial<Env>;

  it("lets validation through (fail open)", async () => {
    const license = await issue();
    const response = await call("POST", "/license/validate", {
      body: { license },
      key: null,
      env: broken,
    });
    expectStatus(response, 200);
    expect(response.headers.get("RateLimit")).toBeNull();
  });

  it("refuses issuing (fail closed)", async () => {
    const response = await call("POST", "/license/issue", {
      body: { customer: "closed", modules: [], expires_at: daysFromNow(3) },
      env: broken,
    });
    expectError(response, 429, "RATE_LIMITED");
    expect(response.headers.get("Retry-After")).toBe("1");
  });
});

describe("stale rate-limit state", () => {
  it("is removed by the limiter's alarm once its window has ended", async () => {
    const stub = env.RATE_LIMITER.getByName(`stale-${crypto.randomUUID()}`);
    await stub.hit("t", 5, 200);
    expect(await stub.storedWindows()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    // The alarm may already have fired on its own; if not, it runs now.
    await runDurableObjectAlarm(stub);
    expect(await stub.storedWindows()).toBe(0);
    // A live window is kept.
    await stub.hit("t", 5, 60_000);
    await runDurableObjectAlarm(stub);
    expect(await stub.storedWindows()).toBe(1);
  });
});
