import { describe, expect, it } from "vitest";
import { call, daysFromNow, expectError, expectStatus, issue } from "../helpers.ts";

describe("input hardening", () => {
  it("refuses bodies over the configured size with 413", async () => {
    const big = {
      customer: "x",
      modules: [],
      expires_at: daysFromNow(5),
      metadata: { blob: "a".repeat(5_000) },
    };
    const response = await call("POST", "/license/issue", {
      body: big,
      env: { MAX_BODY_BYTES: "2048" } as Partial<Env>,
    });
    expectError(response, 413, "PAYLOAD_TOO_LARGE");
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", ""])(
    "refuses a body sent as %j with 415",
    async (type) => {
      const response = await call("POST", "/license/issue", {
        body: JSON.stringify({ customer: "x", modules: [], expires_at: daysFromNow(5) }),
        headers: type ? { "Content-Type": type } : {},
        rawContentType: true,
      });
      expectError(response, 415, "UNSUPPORTED_MEDIA_TYPE");
    },
  );

  it("accepts JSON with a charset", async () => {
    const response = await call("POST", "/license/issue", {
      body: JSON.stringify({ customer: "x", modules: [], expires_at: daysFromNow(5) }),
      headers: { "Content-Type": "application/json; charset=utf-8" },
      rawContentType: true,
    });
    expectStatus(response, 201);
  });

  it("sends security headers and no-store on every response", async () => {
    for (const response of [
      await call("GET", "/health", { key: null }),
      await call("GET", "/nope"),
    ]) {
      expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(response.headers.get("X-Frame-Options")).toBe("SAMEORIGIN");
      expect(response.headers.get("Strict-Transport-Security")).toContain("max-age");
      expect(response.headers.get("Cache-Control")).toBe("no-store");
    }
  });
});

describe("CORS", () => {
  const preflight = (path: string, origin: string, env: Partial<Env> = {}) =>
    call("OPTIONS", path, {
      key: null,
      headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
      env,
    });

  it("is closed by default", async () => {
    const response = await preflight("/license/validate", "https://app.example");
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("opens validation to configured origins only, and keeps issuing closed", async () => {
    const settings = { CORS_VALIDATE_ORIGINS: "https://app.example" } as Partial<Env>;
    const allowed = await preflight("/license/validate", "https://app.example", settings);
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example");
    const stranger = await preflight("/license/validate", "https://evil.example", settings);
    expect(stranger.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const issuing = await preflight("/license/issue", "https://app.example", settings);
    expect(issuing.headers.get("Access-Control-Allow-Origin")).toBeNull();

    const license = await issue();
    const actual = await call("POST", "/license/validate", {
      body: { license },
      key: null,
      headers: { Origin: "https://app.example" },
      env: settings,
    });
    expect(actual.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example");
    expect(actual.headers.get("Access-Control-Expose-Headers")).toContain("X-Request-Id");
  });

  it("opens the back-office routes only to their own origins", async () => {
    const settings = { CORS_ADMIN_ORIGINS: "https://admin.example" } as Partial<Env>;
    const admin = await preflight("/license/issue", "https://admin.example", settings);
    expect(admin.headers.get("Access-Control-Allow-Origin")).toBe("https://admin.example");
    const app = await preflight("/license/validate", "https://admin.example", settings);
    expect(app.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});
