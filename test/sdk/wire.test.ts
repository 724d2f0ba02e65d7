// What each method puts on the wire, against a stand-in that records requests: methods, paths,
// queries, bodies and headers, including routes whose effects the shared test Vault must not see
// (rotating the signing key every other test uses).

import { describe, expect, it } from "vitest";
import { type FetchLike, LicenseClient } from "../../sdk/index.ts";
import { jsonResponse, type Recorded, recorded } from "./helpers.ts";

const KEY = { name: "licensing", type: "ed25519", latest_version: 2, min_version: 1, versions: [] };

function standIn(
  answer: () => Response = () => jsonResponse(200, { success: true, key: KEY }),
  options: { apiKey?: string; userAgent?: string; readYourWrites?: boolean } = {},
): { client: LicenseClient; requests: Recorded[] } {
  const { fetch, requests } = recorded(async () => answer());
  const client = new LicenseClient({
    baseUrl: "https://licenses.example/api/",
    apiKey: "ela_secret",
    fetch,
    ...options,
  });
  return { client, requests };
}

function only(requests: Recorded[]): Recorded {
  expect(requests).toHaveLength(1);
  const [request] = requests;
  if (request === undefined) {
    throw new Error("no request");
  }
  return request;
}

describe("requests on the wire", () => {
  const cases: [string, (client: LicenseClient) => Promise<unknown>, string, string, unknown][] = [
    [
      "keys.create",
      (c) => c.keys.create("ecdsa-p256"),
      "POST",
      "/api/keys",
      { type: "ecdsa-p256" },
    ],
    ["keys.show", (c) => c.keys.show(), "GET", "/api/keys", undefined],
    ["keys.rotate", (c) => c.keys.rotate(), "POST", "/api/keys/rotate", {}],
    [
      "keys.setMinVersion",
      (c) => c.keys.setMinVersion(3),
      "POST",
      "/api/keys/min-version",
      { min_version: 3 },
    ],
    ["tenants.list", (c) => c.tenants.list(), "GET", "/api/tenants", undefined],
    [
      "credentials.revoke",
      (c) => c.credentials.revoke("key_AbC/../x"),
      "DELETE",
      "/api/credentials/key_AbC%2F..%2Fx",
      undefined,
    ],
    [
      "suspend without a reason",
      (c) => c.suspend("lic_x"),
      "POST",
      "/api/license/suspend",
      { license_id: "lic_x" },
    ],
    [
      "validate a token for a module",
      (c) => c.validate("a.b.c", { module: "reports" }),
      "POST",
      "/api/license/validate",
      { license: "a.b.c", module: "reports" },
    ],
  ];

  it.each(cases)("%s", async (_, run, method, path, body) => {
    const { client, requests } = standIn();
    await run(client);
    const request = only(requests);
    expect(request.method).toBe(method);
    expect(request.url.pathname).toBe(path);
    expect([...request.url.searchParams]).toEqual([]);
    expect(request.headers.get("Authorization")).toBe("Bearer ela_secret");
    expect(request.headers.get("Accept")).toBe("application/json");
    expect(request.headers.get("Idempotency-Key")).toBeNull();
    if (body === undefined) {
      expect(request.body).toBe("");
      expect(request.headers.get("Content-Type")).toBeNull();
    } else {
      expect(JSON.parse(request.body)).toEqual(body);
      expect(request.headers.get("Content-Type")).toBe("application/json");
    }
  });

  it("sends tenant_id for the key routes when an operator names a tenant", async () => {
    const { client, requests } = standIn();
    await client.keys.create("rsa-2048", { tenantId: "acme" });
    await client.keys.show({ tenantId: "acme" });
    await client.keys.rotate({ tenantId: "acme" });
    await client.keys.setMinVersion(2, { tenantId: "acme" });
    await client.credentials.list("acme");
    await client.credentials.revoke("key_AbCdEfGhIjKlMnOp", "acme");
    expect(requests.map((r) => r.url.searchParams.get("tenant_id"))).toEqual(Array(6).fill("acme"));
  });

  it("asks for a tenant's JWK set with ?tenant=", async () => {
    const jwks = { keys: [{ kty: "OKP", crv: "Ed25519", x: "AAAA", kid: "licensing:v1" }] };
    const { client, requests } = standIn(() => jsonResponse(200, jwks), { apiKey: "" });
    expect(await client.jwks("acme")).toEqual(jwks);
    const request = only(requests);
    expect(request.url.href).toBe("https://licenses.example/api/.well-known/jwks.json?tenant=acme");
    expect(request.headers.get("Authorization")).toBeNull();
  });

  it("sends the list query without the parts left out", async () => {
    const page = { licenses: [], page: 1, limit: 5, has_more: false, next_cursor: null };
    const { client, requests } = standIn(() => jsonResponse(200, page));
    await client.list({ customer: "Acme Corp", status: "active", page: 2, limit: 5 });
    await client.list();
    const [full, bare] = requests;
    expect(Object.fromEntries(full?.url.searchParams ?? [])).toEqual({
      customer: "Acme Corp",
      status: "active",
      page: "2",
      limit: "5",
    });
    expect(bare?.url.search).toBe("");
  });

  it("sends a revocation's effective date only when given", async () => {
    const { client, requests } = standIn();
    await client.revoke("lic_x", "chargeback", { effectiveDate: "2030-01-01" });
    await client.revoke("lic_y", "fraud");
    expect(requests.map((r) => JSON.parse(r.body))).toEqual([
      { license_id: "lic_x", reason: "chargeback", effective_date: "2030-01-01" },
      { license_id: "lic_y", reason: "fraud" },
    ]);
  });

  it("sends User-Agent only when given", async () => {
    const named = standIn(undefined, { userAgent: "billing-sync/1.2" });
    await named.client.keys.show();
    expect(only(named.requests).headers.get("User-Agent")).toBe("billing-sync/1.2");
  });

  it("sends back the newest D1 bookmark, unless told not to", async () => {
    let n = 0;
    const answer = () => jsonResponse(200, { key: KEY }, { "X-D1-Bookmark": `bookmark-${++n}` });
    const standin = standIn(answer);
    await standin.client.keys.show();
    await standin.client.keys.show();
    await standin.client.keys.show();
    expect(standin.requests.map((r) => r.headers.get("X-D1-Bookmark"))).toEqual([
      null,
      "bookmark-1",
      "bookmark-2",
    ]);

    const plain = standIn(answer, { readYourWrites: false });
    await plain.client.keys.show();
    await plain.client.keys.show();
    expect(plain.requests.map((r) => r.headers.get("X-D1-Bookmark"))).toEqual([null, null]);
  });

  it("calls a fetch without a receiver, as native fetch requires", async () => {
    let receiver: unknown = "unset";
    const fetch: FetchLike = function (this: unknown) {
      receiver = this;
      return Promise.resolve(jsonResponse(200, { key: KEY }));
    };
    await new LicenseClient({ baseUrl: "https://licenses.example", fetch }).keys.show();
    expect(receiver).toBeUndefined();
  });
});

describe("options", () => {
  it.each([
    ["a base URL that is not a URL", { baseUrl: "licenses" }],
    ["a base URL that is not http", { baseUrl: "ftp://licenses.example" }],
    ["a base URL with a query", { baseUrl: "https://licenses.example/?x=1" }],
    ["a negative maxRetries", { baseUrl: "https://l.example", maxRetries: -1 }],
    ["a fractional maxRetries", { baseUrl: "https://l.example", maxRetries: 1.5 }],
    ["a negative retryBaseMs", { baseUrl: "https://l.example", retryBaseMs: -1 }],
    ["a zero timeout", { baseUrl: "https://l.example", timeoutMs: 0 }],
  ])("refuses %s", (_, options) => {
    expect(() => new LicenseClient(options)).toThrow(TypeError);
  });
});
