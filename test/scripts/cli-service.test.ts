// The CLI's wire behaviour against a stand-in service: what each command sends, what it prints
// and how it exits. The real service's answers are tested with the Worker itself.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/net.ts";
import {
  type CliResult,
  expectUsageFailure,
  firstStderrLine,
  type RunOptions,
  runCli as runCliProcess,
} from "./run-cli.ts";

const API_KEY = "test-key-0123456789";

interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Reply {
  status: number;
  /** Sent as JSON unless it is already a string. */
  body: unknown;
  /** Leave the request unanswered, to exercise the client timeout. */
  hang?: boolean;
}

let server: Server;
let baseUrl = "";
let requests: Recorded[] = [];
let reply: Reply = { status: 200, body: {} };
const hanging: ServerResponse[] = [];
let dir = "";

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://stand-in");
      requests.push({
        method: request.method ?? "",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      if (reply.hang) {
        hanging.push(response);
        return;
      }
      const body = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
      response.writeHead(reply.status, { "Content-Type": "application/json" }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error("the stand-in service has no port");
  }
  baseUrl = `http://127.0.0.1:${address.port}`;
  dir = await mkdtemp(join(tmpdir(), "cli-service-test-"));
});

afterAll(async () => {
  for (const response of hanging) {
    response.destroy();
  }
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  requests = [];
  reply = { status: 200, body: {} };
});

/** Runs the CLI against the stand-in service. */
function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  // Always set, so that LICENSE_API_* variables in the developer's shell cannot leak in.
  return runCliProcess(args, {
    ...options,
    env: { LICENSE_API_URL: baseUrl, LICENSE_API_KEY: API_KEY, ...options.env },
  });
}

async function tempFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

/** The only request the CLI sent. */
function onlyRequest(): Recorded {
  expect(requests).toHaveLength(1);
  const [request] = requests;
  if (request === undefined) {
    throw new Error("no request recorded");
  }
  return request;
}

const LICENSE_ID = "lic_01j9z3k8x2m4n6p8r0t2v4x6z8";
const LICENSE = {
  license_id: LICENSE_ID,
  customer: "Acme",
  modules: ["core", "reports"],
  issued_at: "2025-01-01T00:00:00.000Z",
  expires_at: "2026-12-31T23:59:59.999Z",
  metadata: { seats: 5 },
  issuer: "license-authority",
  version: 1,
  key_version: 1,
  signature: "vault:v1:c2lnbmF0dXJl",
};
const ISSUED = { success: true, license: LICENSE };
const VIEW = {
  license: LICENSE,
  status: "active",
  revoked_at: null,
  revocation_reason: null,
  suspended_at: null,
  superseded_by: null,
};
const VALID = {
  valid: true,
  code: "VALID",
  signature_valid: true,
  expired: false,
  days_until_expiry: 300,
  license: LICENSE,
  validation_timestamp: "2025-03-06T00:00:00.000Z",
};
const REVOKED = { ...VALID, valid: false, code: "REVOKED" };
const HEALTH = { status: "ok", can_issue: true, can_validate: true, api_version: "1" };
const DEGRADED = { ...HEALTH, status: "degraded", can_issue: false };
const STATE = { success: true, license_id: LICENSE_ID, status: "suspended" };
const PAGE = { licenses: [VIEW], page: 2, limit: 10, has_more: false, next_cursor: null };
const BATCH = {
  success: false,
  issued: 1,
  failed: 1,
  results: [
    { success: true, license: LICENSE },
    { success: false, error: "bad" },
  ],
};
const BATCH_ITEMS = [
  { customer: "Acme", modules: ["core"], expires_at: "2026-12-31" },
  { customer: "Globex", modules: [], expires_at: "2026-06-30" },
];
const KEY_ID = "key_AbCdEfGhIjKlMnOp";
const CREDENTIAL = {
  key_id: KEY_ID,
  tenant_id: "acme",
  name: "billing sync",
  role: "issuer",
  prefix: "ela_AbCdEf",
  created_at: "2025-03-06T00:00:00.000Z",
  created_by: "key_0123456789abcdef",
  expires_at: "2026-12-31T23:59:59.999Z",
  revoked_at: null,
  last_used_at: null,
};
const CREATED = {
  success: true,
  credential: CREDENTIAL,
  secret: "ela_c2VjcmV0LXNlY3JldC1zZWNyZXQ",
};
const SECRET_NOTICE =
  "The secret above is shown only once: store it now, it cannot be retrieved later.\n";
const TENANT = {
  tenant_id: "acme",
  name: "Acme Corp",
  transit_key: "acme-signing",
  vault_namespace: "customers/acme",
  created_at: "2025-03-06T00:00:00.000Z",
};
const KEY = {
  name: "licensing",
  type: "ed25519",
  latest_version: 2,
  min_version: 1,
  versions: [
    {
      version: 1,
      kid: "licensing:v1",
      public_key: "2gc1vkhCCUeNrTVhLA/miCFvEXAFeylMxBdZqwls1HQ=",
      created_at: "2025-03-06T00:00:00.000Z",
      retired: false,
    },
  ],
};
// Shaped like a compact JWS; the stand-in never checks it.
const TOKEN = "eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJsaWNfeCJ9.c2lnbmF0dXJl";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface WireCase {
  name: string;
  /** Files are created before the run; `{dir}` in args is replaced by their directory. */
  files?: Record<string, unknown>;
  args: string[];
  stdin?: string;
  reply: Reply;
  method: "GET" | "POST" | "DELETE";
  path: string;
  query?: Record<string, string>;
  /** The JSON body sent; undefined for none. */
  body?: unknown;
  /** The Idempotency-Key sent: none, a fresh UUID, or the one passed on the command line. */
  idempotencyKey?: "generated" | { given: string };
  /** What the CLI prints on stderr besides the answer; nothing unless given. */
  stderr?: string;
  code: number;
}

const WIRE_CASES: WireCase[] = [
  {
    name: "health when ok",
    args: ["health"],
    reply: { status: 200, body: HEALTH },
    method: "GET",
    path: "/health",
    code: 0,
  },
  {
    name: "health when degraded still prints the report",
    args: ["health"],
    reply: { status: 503, body: DEGRADED },
    method: "GET",
    path: "/health",
    code: 2,
  },
  {
    name: "issue with every flag",
    args: [
      "issue",
      "--customer",
      "Acme",
      "--modules",
      "core, reports",
      "--expires-at",
      "2026-12-31",
      "--metadata",
      '{"seats":5}',
      "--not-before",
      "2025-01-01T00:00:00Z",
    ],
    reply: { status: 201, body: ISSUED },
    method: "POST",
    path: "/license/issue",
    idempotencyKey: "generated",
    body: {
      customer: "Acme",
      modules: ["core", "reports"],
      expires_at: "2026-12-31",
      metadata: { seats: 5 },
      not_before: "2025-01-01T00:00:00Z",
    },
    code: 0,
  },
  {
    name: 'issue with --modules "" and metadata from a file',
    files: { "metadata.json": { plan: "team" } },
    args: [
      "issue",
      "--customer",
      "Acme",
      "--modules",
      "",
      "--expires-at",
      "2026-12-31",
      "--metadata",
      "@{dir}/metadata.json",
    ],
    reply: { status: 201, body: ISSUED },
    method: "POST",
    path: "/license/issue",
    idempotencyKey: "generated",
    body: { customer: "Acme", modules: [], expires_at: "2026-12-31", metadata: { plan: "team" } },
    code: 0,
  },
  {
    name: "validate an inline license for a module",
    args: ["validate", "--license", JSON.stringify(LICENSE), "--module", "reports"],
    reply: { status: 200, body: VALID },
    method: "POST",
    path: "/license/validate",
    body: { license: LICENSE, module: "reports" },
    code: 0,
  },
  {
    name: "validate answering valid: false",
    args: ["validate", "--license", JSON.stringify(LICENSE)],
    reply: { status: 200, body: REVOKED },
    method: "POST",
    path: "/license/validate",
    body: { license: LICENSE },
    code: 1,
  },
  {
    name: "validate the output of issue, read from a file",
    files: { "issued.json": ISSUED },
    args: ["validate", "--license", "@{dir}/issued.json"],
    reply: { status: 200, body: VALID },
    method: "POST",
    path: "/license/validate",
    body: { license: LICENSE },
    code: 0,
  },
  {
    name: "validate the output of show, read from stdin",
    args: ["validate", "--license", "-"],
    stdin: JSON.stringify(VIEW),
    reply: { status: 200, body: VALID },
    method: "POST",
    path: "/license/validate",
    body: { license: LICENSE },
    code: 0,
  },
  {
    name: "renew by id with modules and metadata updates",
    args: [
      "renew",
      "--license-id",
      LICENSE_ID,
      "--expires-at",
      "2027-12-31",
      "--add-modules",
      "audit,export",
      "--metadata-updates",
      '{"seats":10,"trial":null}',
    ],
    reply: { status: 201, body: ISSUED },
    method: "POST",
    path: "/license/renew",
    idempotencyKey: "generated",
    body: {
      license_id: LICENSE_ID,
      new_expires_at: "2027-12-31",
      extend_modules: ["audit", "export"],
      metadata_updates: { seats: 10, trial: null },
    },
    code: 0,
  },
  {
    name: "renew a license read from a file",
    files: { "license.json": LICENSE },
    args: ["renew", "--license", "@{dir}/license.json", "--expires-at", "2027-12-31"],
    reply: { status: 201, body: ISSUED },
    method: "POST",
    path: "/license/renew",
    idempotencyKey: "generated",
    body: { license: LICENSE, new_expires_at: "2027-12-31" },
    code: 0,
  },
  {
    name: "revoke with an effective date",
    args: [
      "revoke",
      "--license-id",
      LICENSE_ID,
      "--reason",
      "chargeback",
      "--effective-date",
      "2025-04-01",
    ],
    reply: { status: 200, body: { ...STATE, status: "revoked" } },
    method: "POST",
    path: "/license/revoke",
    body: { license_id: LICENSE_ID, reason: "chargeback", effective_date: "2025-04-01" },
    code: 0,
  },
  {
    name: "suspend with a reason",
    args: ["suspend", "--license-id", LICENSE_ID, "--reason", "unpaid"],
    reply: { status: 200, body: STATE },
    method: "POST",
    path: "/license/suspend",
    body: { license_id: LICENSE_ID, reason: "unpaid" },
    code: 0,
  },
  {
    name: "reinstate without a reason",
    args: ["reinstate", "--license-id", LICENSE_ID],
    reply: { status: 200, body: { ...STATE, status: "active" } },
    method: "POST",
    path: "/license/reinstate",
    body: { license_id: LICENSE_ID },
    code: 0,
  },
  {
    name: "list with every filter",
    args: [
      "list",
      "--customer",
      "Acme Corp",
      "--status",
      "suspended",
      "--limit",
      "10",
      "--page",
      "2",
      "--cursor",
      "WyIyMDI1Il0",
    ],
    reply: { status: 200, body: PAGE },
    method: "GET",
    path: "/license/list",
    query: {
      customer: "Acme Corp",
      status: "suspended",
      limit: "10",
      page: "2",
      cursor: "WyIyMDI1Il0",
    },
    code: 0,
  },
  {
    name: "list without filters",
    args: ["list"],
    reply: { status: 200, body: PAGE },
    method: "GET",
    path: "/license/list",
    code: 0,
  },
  {
    name: "show",
    args: ["show", "--license-id", LICENSE_ID],
    reply: { status: 200, body: { ...VIEW, history: [] } },
    method: "GET",
    path: `/license/${LICENSE_ID}`,
    code: 0,
  },
  {
    name: "batch-issue from an array",
    files: { "batch.json": BATCH_ITEMS },
    args: ["batch-issue", "--file", "{dir}/batch.json"],
    reply: { status: 201, body: BATCH },
    method: "POST",
    path: "/license/batch/issue",
    idempotencyKey: "generated",
    body: { licenses: BATCH_ITEMS },
    code: 0,
  },
  {
    name: "batch-issue from a whole body on stdin",
    args: ["batch-issue", "--file", "-"],
    stdin: JSON.stringify({ licenses: BATCH_ITEMS }),
    reply: { status: 201, body: BATCH },
    method: "POST",
    path: "/license/batch/issue",
    idempotencyKey: "generated",
    body: { licenses: BATCH_ITEMS },
    code: 0,
  },
  {
    name: "issue with an explicit idempotency key",
    args: [
      "issue",
      "--customer",
      "Acme",
      "--modules",
      "core",
      "--expires-at",
      "2026-12-31",
      "--idempotency-key",
      "order-4711",
    ],
    reply: { status: 201, body: ISSUED },
    method: "POST",
    path: "/license/issue",
    body: { customer: "Acme", modules: ["core"], expires_at: "2026-12-31" },
    idempotencyKey: { given: "order-4711" },
    code: 0,
  },
  {
    name: "renew with an explicit idempotency key",
    args: [
      "renew",
      "--license-id",
      LICENSE_ID,
      "--expires-at",
      "2027-12-31",
      "--idempotency-key",
      "renewal-2027",
    ],
    reply: { status: 201, body: ISSUED },
    method: "POST",
    path: "/license/renew",
    body: { license_id: LICENSE_ID, new_expires_at: "2027-12-31" },
    idempotencyKey: { given: "renewal-2027" },
    code: 0,
  },
  {
    name: "batch-issue with an explicit idempotency key",
    files: { "batch.json": BATCH_ITEMS },
    args: ["batch-issue", "--file", "{dir}/batch.json", "--idempotency-key", "batch:2025-03"],
    reply: { status: 201, body: BATCH },
    method: "POST",
    path: "/license/batch/issue",
    body: { licenses: BATCH_ITEMS },
    idempotencyKey: { given: "batch:2025-03" },
    code: 0,
  },
  {
    name: "credentials create with every flag reminds that the secret is shown once",
    args: [
      "credentials",
      "create",
      "--name",
      "billing sync",
      "--role",
      "issuer",
      "--expires-at",
      "2026-12-31",
      "--tenant",
      "acme",
    ],
    reply: { status: 201, body: CREATED },
    method: "POST",
    path: "/credentials",
    body: { name: "billing sync", role: "issuer", expires_at: "2026-12-31", tenant_id: "acme" },
    stderr: SECRET_NOTICE,
    code: 0,
  },
  {
    name: "credentials create with the required flags only",
    args: ["credentials", "create", "--name", "ops", "--role", "admin"],
    reply: { status: 201, body: CREATED },
    method: "POST",
    path: "/credentials",
    body: { name: "ops", role: "admin" },
    stderr: SECRET_NOTICE,
    code: 0,
  },
  {
    name: "credentials create with a timestamp expiry and an empty --tenant",
    args: [
      "credentials",
      "create",
      "--role",
      "validator",
      "--name",
      "edge",
      "--expires-at",
      "2026-06-30T12:00:00Z",
      "--tenant",
      "",
    ],
    reply: { status: 201, body: CREATED },
    method: "POST",
    path: "/credentials",
    body: { name: "edge", role: "validator", expires_at: "2026-06-30T12:00:00Z" },
    stderr: SECRET_NOTICE,
    code: 0,
  },
  {
    name: "credentials list for a tenant",
    args: ["credentials", "list", "--tenant", "acme"],
    reply: { status: 200, body: { credentials: [CREDENTIAL] } },
    method: "GET",
    path: "/credentials",
    query: { tenant_id: "acme" },
    code: 0,
  },
  {
    name: "credentials list for the caller's tenant",
    args: ["credentials", "list"],
    reply: { status: 200, body: { credentials: [] } },
    method: "GET",
    path: "/credentials",
    code: 0,
  },
  {
    name: "credentials revoke in a tenant",
    args: ["credentials", "revoke", "--key-id", KEY_ID, "--tenant", "acme"],
    reply: { status: 200, body: { success: true, credential: CREDENTIAL } },
    method: "DELETE",
    path: `/credentials/${KEY_ID}`,
    query: { tenant_id: "acme" },
    code: 0,
  },
  {
    name: "credentials revoke in the caller's tenant",
    args: ["credentials", "revoke", "--key-id", KEY_ID],
    reply: { status: 200, body: { success: true, credential: CREDENTIAL } },
    method: "DELETE",
    path: `/credentials/${KEY_ID}`,
    code: 0,
  },
  {
    name: "credentials revoke escapes the id in the path",
    args: ["credentials", "revoke", "--key-id", "key/../x?y"],
    reply: { status: 200, body: { success: true, credential: CREDENTIAL } },
    method: "DELETE",
    path: "/credentials/key%2F..%2Fx%3Fy",
    code: 0,
  },
  {
    name: "tenants create with every flag",
    args: [
      "tenants",
      "create",
      "--id",
      "acme",
      "--name",
      "Acme Corp",
      "--transit-key",
      "acme-signing",
      "--vault-namespace",
      "customers/acme",
    ],
    reply: { status: 201, body: { success: true, tenant: TENANT } },
    method: "POST",
    path: "/tenants",
    body: {
      tenant_id: "acme",
      name: "Acme Corp",
      transit_key: "acme-signing",
      vault_namespace: "customers/acme",
    },
    code: 0,
  },
  {
    name: "tenants create with the required flags only",
    args: ["tenants", "create", "--id", "globex", "--name", "Globex"],
    reply: { status: 201, body: { success: true, tenant: TENANT } },
    method: "POST",
    path: "/tenants",
    body: { tenant_id: "globex", name: "Globex" },
    code: 0,
  },
  {
    name: "tenants list",
    args: ["tenants", "list"],
    reply: { status: 200, body: { tenants: [TENANT] } },
    method: "GET",
    path: "/tenants",
    code: 0,
  },
  {
    name: "keys create for a tenant",
    args: ["keys", "create", "--type", "ecdsa-p384", "--tenant", "acme"],
    reply: { status: 201, body: { success: true, key: KEY } },
    method: "POST",
    path: "/keys",
    query: { tenant_id: "acme" },
    body: { type: "ecdsa-p384" },
    code: 0,
  },
  {
    name: "keys create for the caller's tenant",
    args: ["keys", "create", "--type", "ed25519"],
    reply: { status: 201, body: { success: true, key: KEY } },
    method: "POST",
    path: "/keys",
    body: { type: "ed25519" },
    code: 0,
  },
  {
    name: "keys show",
    args: ["keys", "show"],
    reply: { status: 200, body: { key: KEY } },
    method: "GET",
    path: "/keys",
    code: 0,
  },
  {
    name: "keys show for a tenant",
    args: ["keys", "show", "--tenant", "acme"],
    reply: { status: 200, body: { key: KEY } },
    method: "GET",
    path: "/keys",
    query: { tenant_id: "acme" },
    code: 0,
  },
  {
    name: "keys rotate",
    args: ["keys", "rotate", "--tenant", "acme"],
    reply: { status: 200, body: { success: true, key: KEY } },
    method: "POST",
    path: "/keys/rotate",
    query: { tenant_id: "acme" },
    body: {},
    code: 0,
  },
  {
    name: "keys set-min",
    args: ["keys", "set-min", "--version", "2"],
    reply: { status: 200, body: { success: true, key: KEY } },
    method: "POST",
    path: "/keys/min-version",
    body: { min_version: 2 },
    code: 0,
  },
  {
    name: "keys set-min for a tenant",
    args: ["keys", "set-min", "--tenant", "acme", "--version", "12"],
    reply: { status: 200, body: { success: true, key: KEY } },
    method: "POST",
    path: "/keys/min-version",
    query: { tenant_id: "acme" },
    body: { min_version: 12 },
    code: 0,
  },
  {
    name: "validate a license token given inline",
    args: ["validate", "--license", TOKEN, "--module", "core"],
    reply: { status: 200, body: VALID },
    method: "POST",
    path: "/license/validate",
    body: { license: TOKEN, module: "core" },
    code: 0,
  },
  {
    name: "validate a license token read from a file with a trailing newline",
    files: { "license.jwt": `${TOKEN}\n` },
    args: ["validate", "--license", "@{dir}/license.jwt"],
    reply: { status: 200, body: REVOKED },
    method: "POST",
    path: "/license/validate",
    body: { license: TOKEN },
    code: 1,
  },
  {
    name: "validate a license token from stdin",
    args: ["validate", "--license", "-"],
    stdin: `  ${TOKEN}\n`,
    reply: { status: 200, body: VALID },
    method: "POST",
    path: "/license/validate",
    body: { license: TOKEN },
    code: 0,
  },
  {
    name: "renew a license given as a token",
    args: ["renew", "--license", TOKEN, "--expires-at", "2027-12-31"],
    reply: { status: 201, body: ISSUED },
    method: "POST",
    path: "/license/renew",
    idempotencyKey: "generated",
    body: { license: TOKEN, new_expires_at: "2027-12-31" },
    code: 0,
  },
];

async function prepare(files: Record<string, unknown> | undefined, args: string[]) {
  for (const [name, content] of Object.entries(files ?? {})) {
    await tempFile(name, content);
  }
  return args.map((arg) => arg.replace("{dir}", dir));
}

describe("service commands on the wire", () => {
  it.each(WIRE_CASES.map((c) => [c.name, c] as const))("%s", async (_, c) => {
    reply = c.reply;
    const args = await prepare(c.files, c.args);
    const result = await runCli(args, c.stdin === undefined ? {} : { stdin: c.stdin });

    const request = onlyRequest();
    expect(request.method).toBe(c.method);
    expect(request.path).toBe(c.path);
    expect(request.query).toEqual(c.query ?? {});
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.headers.accept).toBe("application/json");
    if (c.body === undefined) {
      expect(request.body).toBe("");
    } else {
      expect(request.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(request.body)).toEqual(c.body);
    }
    const key = request.headers["idempotency-key"];
    if (c.idempotencyKey === undefined) {
      expect(key).toBeUndefined();
    } else if (c.idempotencyKey === "generated") {
      expect(key).toMatch(UUID);
    } else {
      expect(key).toBe(c.idempotencyKey.given);
    }

    expect(result.stderr).toBe(c.stderr ?? "");
    expect(result.stdout).toBe(`${JSON.stringify(c.reply.body)}\n`);
    expect(result.code).toBe(c.code);
  });

  it("indents the answer with --pretty", async () => {
    reply = { status: 200, body: HEALTH };
    const result = await runCli(["health", "--pretty"]);
    expect(result.stdout).toBe(`${JSON.stringify(HEALTH, null, 2)}\n`);
    expect(result.code).toBe(0);
  });

  it("prefers --url and --api-key over the environment", async () => {
    reply = { status: 200, body: HEALTH };
    const result = await runCli(["health", "--url", `${baseUrl}/`, "--api-key", "flag-key"], {
      env: { LICENSE_API_URL: "http://127.0.0.1:9/unused", LICENSE_API_KEY: "env-key" },
    });
    expect(result.code).toBe(0);
    const request = onlyRequest();
    expect(request.path).toBe("/health");
    expect(request.headers.authorization).toBe("Bearer flag-key");
  });

  it("keeps a path prefix in the service URL", async () => {
    reply = { status: 200, body: PAGE };
    const result = await runCli(["list", "--limit", "5"], {
      env: { LICENSE_API_URL: `${baseUrl}/api/` },
    });
    expect(result.code).toBe(0);
    const request = onlyRequest();
    expect(request.path).toBe("/api/license/list");
    expect(request.query).toEqual({ limit: "5" });
  });

  it("sends a fresh idempotency key on each run unless one is given", async () => {
    reply = { status: 201, body: ISSUED };
    const issue = [
      "issue",
      "--customer",
      "Acme",
      "--modules",
      "core",
      "--expires-at",
      "2026-12-31",
    ];
    const runs = [
      issue,
      issue,
      [...issue, "--idempotency-key", "k-1"],
      [...issue, "--idempotency-key", "k-1"],
    ];
    for (const args of runs) {
      expect((await runCli(args)).code).toBe(0);
    }
    const keys = requests.map((request) => request.headers["idempotency-key"]);
    expect(keys).toHaveLength(4);
    expect(keys[0]).toMatch(UUID);
    expect(keys[1]).toMatch(UUID);
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys.slice(2)).toEqual(["k-1", "k-1"]);
  });

  it("sends no Authorization header without a key", async () => {
    reply = { status: 200, body: VALID };
    const result = await runCli(["validate", "--license", JSON.stringify(LICENSE)], {
      env: { LICENSE_API_KEY: undefined },
    });
    expect(result.code).toBe(0);
    expect(onlyRequest().headers.authorization).toBeUndefined();
  });
});

describe("service errors exit 2", () => {
  const envelope = (status: number, code: string) => ({
    status,
    body: {
      error: `stand-in ${code}`,
      code,
      details: code === "INVALID_LICENSE" ? { issues: [{ path: "expires_at" }] } : null,
      timestamp: "2025-03-06T00:00:00.000Z",
      request_id: "req_0123",
    },
  });

  it.each([
    ["issue", ["issue", "--customer", "A", "--modules", "a", "--expires-at", "2026-12-31"]],
    ["validate", ["validate", "--license", "{}"]],
    ["revoke", ["revoke", "--license-id", LICENSE_ID, "--reason", "r"]],
    ["show", ["show", "--license-id", LICENSE_ID]],
    ["list", ["list"]],
    // Also shows that the reminder about the secret is left out when no secret was made.
    ["credentials create", ["credentials", "create", "--name", "n", "--role", "reader"]],
    ["credentials list", ["credentials", "list", "--tenant", "acme"]],
    ["credentials revoke", ["credentials", "revoke", "--key-id", KEY_ID]],
    ["tenants create", ["tenants", "create", "--id", "acme", "--name", "Acme"]],
    ["tenants list", ["tenants", "list"]],
    ["keys create", ["keys", "create", "--type", "rsa-2048"]],
    ["keys show", ["keys", "show", "--tenant", "acme"]],
    ["keys rotate", ["keys", "rotate"]],
    ["keys set-min", ["keys", "set-min", "--version", "3"]],
  ])("%s prints the error envelope on stderr", async (_, args) => {
    for (const answer of [
      envelope(400, "INVALID_LICENSE"),
      envelope(401, "UNAUTHORIZED"),
      envelope(404, "NOT_FOUND"),
      envelope(409, "CONFLICT"),
      envelope(502, "VAULT_ERROR"),
    ]) {
      reply = answer;
      const result = await runCli(args);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(`${JSON.stringify(answer.body)}\n`);
    }
  });

  it("for a body that is not JSON", async () => {
    reply = { status: 502, body: "<html>Bad Gateway</html>" };
    const result = await runCli(["health"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(firstStderrLine(result)).toEqual({
      error: "GET /health answered HTTP 502 with a body that is not JSON",
      status: 502,
      body: "<html>Bad Gateway</html>",
    });
  });

  it("for an unreachable service", async () => {
    // A port that was free a moment ago, so nothing is listening on it.
    const port = await freePort();
    const result = await runCli(["health"], {
      env: { LICENSE_API_URL: `http://127.0.0.1:${port}` },
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(firstStderrLine(result)).toEqual({
      error: expect.stringMatching(/^cannot reach the service at http:\/\/127\.0\.0\.1:\d+: /),
    });
  });

  it("when the service does not answer in time", async () => {
    reply = { status: 200, body: {}, hang: true };
    const result = await runCli(["health", "--timeout", "0.3"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(firstStderrLine(result)).toEqual({ error: expect.stringMatching(/within 0\.3 s/) });
  });
});

describe("bad flags exit 2 before any request", () => {
  const issue = ["issue", "--customer", "Acme", "--modules", "core", "--expires-at", "2026-12-31"];

  it.each<[string, string[], RegExp, RunOptions?]>([
    [
      "metadata that is not JSON",
      [...issue, "--metadata", "{seats:5}"],
      /--metadata is not valid JSON/,
    ],
    [
      "metadata that is an array",
      [...issue, "--metadata", "[1]"],
      /--metadata must be a JSON object/,
    ],
    ["a missing --customer", issue.slice(0, 1).concat(issue.slice(3)), /--customer/],
    ["a missing --modules", issue.slice(0, 3).concat(issue.slice(5)), /--modules/],
    ["an empty module name", [...issue.slice(0, 4), "a,,b", ...issue.slice(5)], /empty name/],
    ["an impossible date", [...issue.slice(0, 6), "2026-02-30"], /--expires-at must be a date/],
    ["a bad --not-before", [...issue, "--not-before", "soon"], /--not-before must be a date/],
    ["an unknown flag", [...issue, "--seats", "5"], /seats/],
    ["a stray argument", [...issue, "extra"], /extra/],
    ["a value for --pretty", [...issue, "--pretty=yes"], /pretty/],
    ["a missing --license", ["validate"], /missing required flag --license/],
    [
      "a license that is not JSON",
      ["validate", "--license", "lic_x"],
      /--license is not valid JSON/,
    ],
    ["a missing license file", ["validate", "--license", "@/nonexistent/l.json"], /cannot read/],
    [
      "both --license and --license-id",
      ["renew", "--license", "{}", "--license-id", LICENSE_ID, "--expires-at", "2027-01-01"],
      /either --license or --license-id/,
    ],
    ["neither license flag", ["renew", "--expires-at", "2027-01-01"], /either --license/],
    [
      "bad --metadata-updates",
      [
        "renew",
        "--license-id",
        LICENSE_ID,
        "--expires-at",
        "2027-01-01",
        "--metadata-updates",
        "{",
      ],
      /--metadata-updates is not valid JSON/,
    ],
    ["revoke without a reason", ["revoke", "--license-id", LICENSE_ID], /--reason/],
    ["suspend without an id", ["suspend"], /--license-id/],
    ["show without an id", ["show"], /--license-id/],
    ["an unknown status", ["list", "--status", "lost"], /--status must be one of/],
    ["a zero limit", ["list", "--limit", "0"], /--limit must be a positive integer/],
    ["a bad page", ["list", "--page", "two"], /--page must be a positive integer/],
    ["a bad timeout", ["health", "--timeout", "-1"], /--timeout/],
    ["a URL that is not http", ["health", "--url", "ftp://example.com"], /--url must be/],
    [
      "a URL that is not a URL",
      ["health"],
      /--url is not a URL/,
      { env: { LICENSE_API_URL: "nope" } },
    ],
    ["a missing batch file", ["batch-issue"], /missing required flag --file/],
    ["an empty batch", ["batch-issue", "--file", "-"], /no licenses/, { stdin: "[]" }],
    ["a batch of the wrong shape", ["batch-issue", "--file", "-"], /JSON array/, { stdin: "{}" }],
    ["an idempotency key with a space", [...issue, "--idempotency-key", "a b"], /idempotency/],
    ["an empty idempotency key", [...issue, "--idempotency-key", ""], /--idempotency-key must/],
    [
      "an idempotency key over 255 characters",
      [...issue, "--idempotency-key", "k".repeat(256)],
      /--idempotency-key must/,
    ],
    [
      "a non-ASCII idempotency key for renew",
      [
        "renew",
        "--license-id",
        LICENSE_ID,
        "--expires-at",
        "2027-01-01",
        "--idempotency-key",
        "ключ",
      ],
      /--idempotency-key must/,
    ],
    [
      "a bad idempotency key for batch-issue",
      ["batch-issue", "--file", "-", "--idempotency-key", "a\tb"],
      /--idempotency-key must/,
      { stdin: JSON.stringify(BATCH_ITEMS) },
    ],
    ["credentials without a subcommand", ["credentials"], /missing credentials command/],
    [
      "credentials with flags but no subcommand",
      ["credentials", "--name", "n"],
      /missing credentials command/,
    ],
    ["an unknown credentials subcommand", ["credentials", "delete"], /unknown credentials command/],
    ["tenants without a subcommand", ["tenants"], /missing tenants command/],
    ["an unknown tenants subcommand", ["tenants", "remove"], /unknown tenants command/],
    ["credentials create without --name", ["credentials", "create", "--role", "admin"], /--name/],
    ["credentials create without --role", ["credentials", "create", "--name", "n"], /--role/],
    [
      "an unknown role",
      ["credentials", "create", "--name", "n", "--role", "owner"],
      /--role must be one of admin, issuer, reader, validator/,
    ],
    [
      "a role in other case",
      ["credentials", "create", "--name", "n", "--role", "Admin"],
      /--role must be one of/,
    ],
    [
      "a bad credential expiry",
      ["credentials", "create", "--name", "n", "--role", "reader", "--expires-at", "next year"],
      /--expires-at must be a date/,
    ],
    [
      "an unknown credentials create flag",
      ["credentials", "create", "--name", "n", "--role", "reader", "--secret", "s"],
      /secret/,
    ],
    ["credentials revoke without --key-id", ["credentials", "revoke"], /--key-id/],
    [
      "credentials revoke with the id as an argument",
      ["credentials", "revoke", KEY_ID],
      new RegExp(KEY_ID),
    ],
    [
      "a credentials list flag it does not take",
      ["credentials", "list", "--role", "admin"],
      /role/,
    ],
    ["tenants create without --id", ["tenants", "create", "--name", "Acme"], /--id/],
    ["tenants create without --name", ["tenants", "create", "--id", "acme"], /--name/],
    ["tenants list with a stray argument", ["tenants", "list", "acme"], /acme/],
    ["keys without a subcommand", ["keys"], /missing keys command/],
    ["an unknown keys subcommand", ["keys", "delete"], /unknown keys command/],
    ["keys create without --type", ["keys", "create"], /missing required flag --type/],
    [
      "an unknown key type",
      ["keys", "create", "--type", "aes256-gcm96"],
      /--type must be one of ed25519, /,
    ],
    ["keys set-min without --version", ["keys", "set-min"], /missing required flag --version/],
    [
      "a zero minimum version",
      ["keys", "set-min", "--version", "0"],
      /--version must be a positive integer/,
    ],
    [
      "a minimum version that is not a number",
      ["keys", "set-min", "--version", "two"],
      /--version must be a positive integer/,
    ],
    ["keys rotate with a stray argument", ["keys", "rotate", "now"], /now/],
    ["keys show with a flag it does not take", ["keys", "show", "--type", "rsa-2048"], /type/],
    [
      "a license of two dot-separated parts",
      ["validate", "--license", "abc.def"],
      /--license is not valid JSON/,
    ],
    [
      "a license of four dot-separated parts",
      ["validate", "--license", "a.b.c.d"],
      /--license is not valid JSON/,
    ],
    [
      "a license token with characters outside base64url",
      ["validate", "--license", "a.b+c.d"],
      /--license is not valid JSON/,
    ],
    ["a license that is a JSON array", ["validate", "--license", "[]"], /JSON object/],
  ])("for %s", async (_, args, message, options = {}) => {
    const result = await runCli(args, options);
    expect(requests).toEqual([]);
    expectUsageFailure(result, message);
  });

  it("shows the usage of the subcommand that failed, not the whole group", async () => {
    const result = await runCli(["credentials", "create", "--name", "n", "--role", "owner"]);
    expect(requests).toEqual([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Usage: npm run cli -- credentials create /m);
    expect(result.stderr).not.toMatch(/credentials list/);
  });

  it("shows the group's usage when the subcommand is missing", async () => {
    const result = await runCli(["tenants"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Usage: npm run cli -- tenants <create\|list>/m);
  });
});

describe("help", () => {
  const names = [
    "health",
    "issue",
    "validate",
    "renew",
    "revoke",
    "suspend",
    "reinstate",
    "list",
    "show",
    "batch-issue",
    "credentials create",
    "credentials list",
    "credentials revoke",
    "tenants create",
    "tenants list",
    "keys create",
    "keys show",
    "keys rotate",
    "keys set-min",
  ];

  it("lists the service commands", async () => {
    const result = await runCli(["help"]);
    expect(result.code).toBe(0);
    for (const name of names) {
      expect(result.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
    }
  });

  it.each(names)("shows the flags of %s", async (name) => {
    const result = await runCli(["help", ...name.split(" ")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: npm run cli -- ${name}( |\n)`));
    expect(result.stdout).toMatch(/--url URL/);
    expect(result.stdout).toMatch(/--api-key KEY/);
  });

  it.each(["issue", "renew", "batch-issue"])("documents --idempotency-key for %s", async (name) => {
    const result = await runCli(["help", name]);
    expect(result.stdout).toMatch(/^ {2}--idempotency-key K /m);
  });

  it.each([
    ["credentials", ["create", "list", "revoke"]],
    ["tenants", ["create", "list"]],
    ["keys", ["create", "show", "rotate", "set-min"]],
  ])("shows every %s subcommand with its flags", async (group, subcommands) => {
    const result = await runCli(["help", group]);
    expect(result.code).toBe(0);
    for (const subcommand of subcommands) {
      expect(result.stdout).toMatch(
        new RegExp(`^Usage: npm run cli -- ${group} ${subcommand}( |$)`, "m"),
      );
    }
    expect(result.stdout.match(/--url URL/g)).toHaveLength(1);
  });

  it("shows a subcommand's usage for --help", async () => {
    const result = await runCli(["credentials", "revoke", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm run cli -- credentials revoke --key-id ID/);
    expect(result.stdout).not.toMatch(/credentials create/);
    expect(requests).toEqual([]);
  });

  it.each([
    ["an unknown subcommand", ["help", "credentials", "rotate"]],
    ["a word after a plain command", ["help", "issue", "now"]],
    ["help for a name Object.prototype has", ["help", "constructor"]],
    ["a command named like an Object.prototype member", ["toString"]],
  ])("refuses %s", async (_, args) => {
    expectUsageFailure(await runCli(args), /unknown command/);
  });
});
