// CLI commands that call a running license service over HTTP. Each command only turns its flags
// into one request; `callService` owns the wire: headers, timeout, JSON, output and exit codes.

import { ROLES } from "../../src/auth/principal.ts";
import { isVaultKeyType, VAULT_KEY_TYPES } from "../../src/crypto/verify.ts";
import { parseInstant } from "../../src/licenses/dates.ts";
import { LICENSE_STATUSES } from "../../src/licenses/schemas.ts";
import {
  type Command,
  commandGroup,
  EXIT_NEGATIVE,
  EXIT_OK,
  EXIT_USAGE,
  type Flags,
  flagText,
  parseFlags,
  printJson,
  required,
  UsageError,
} from "./common.ts";

const DEFAULT_URL = "http://127.0.0.1:8787";
const DEFAULT_TIMEOUT_SECONDS = 30;

const CONNECTION_FLAGS = ["url", "api-key", "timeout"] as const;
const SWITCHES = ["pretty"] as const;

const CONNECTION_USAGE = `Connection:
  --url URL                    the service (default $LICENSE_API_URL, else ${DEFAULT_URL})
  --api-key KEY                sent as Authorization: Bearer KEY (default $LICENSE_API_KEY)
  --timeout SECONDS            how long to wait for the answer (default ${DEFAULT_TIMEOUT_SECONDS})
  --pretty                     indent the JSON printed on stdout

The service's JSON answer goes to stdout. HTTP errors print the service's error envelope on
stderr and exit 2, as do bad flags and an unreachable service.`;

interface Connection {
  /** Without a trailing slash, so request paths append directly. */
  baseUrl: string;
  apiKey: string | undefined;
  timeoutMs: number;
  pretty: boolean;
}

interface ServiceCall {
  method: "GET" | "POST" | "DELETE";
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Sent as Idempotency-Key. */
  idempotencyKey?: string;
  /** A line for the user, printed on stderr after a 2xx answer. */
  notice?: string;
  /** Non-2xx statuses whose body is still the answer, printed on stdout (exit 2 all the same). */
  answerStatuses?: readonly number[];
  /** Whether a 2xx answer is a definite "no", which exits 1. */
  isNegative?: (body: unknown) => boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function connectionOf(flags: Flags<(typeof CONNECTION_FLAGS)[number], "pretty">): Connection {
  const urlText = nonEmpty(flags.url) ?? nonEmpty(process.env.LICENSE_API_URL) ?? DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new UsageError(`--url is not a URL: ${JSON.stringify(urlText)}`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
    throw new UsageError(`--url must be an http(s) URL without query or fragment, got ${urlText}`);
  }
  let timeoutMs = DEFAULT_TIMEOUT_SECONDS * 1_000;
  const timeoutText = flags.timeout;
  if (timeoutText !== undefined) {
    const seconds = /^[0-9]+(\.[0-9]+)?$/.test(timeoutText) ? Number(timeoutText) : 0;
    if (seconds <= 0) {
      throw new UsageError(`--timeout must be a positive number of seconds, got ${timeoutText}`);
    }
    timeoutMs = Math.max(1, Math.round(seconds * 1_000));
  }
  // An explicit empty --api-key sends no key even when LICENSE_API_KEY is set.
  const apiKey = flags["api-key"] ?? process.env.LICENSE_API_KEY;
  return {
    baseUrl: url.href.replace(/\/+$/, ""),
    apiKey: nonEmpty(apiKey),
    timeoutMs,
    pretty: flags.pretty === true,
  };
}

function describeFailure(error: unknown, url: URL, timeoutMs: number): string {
  if (error instanceof Error && error.name === "TimeoutError") {
    return `no answer from ${url.origin} within ${timeoutMs / 1_000} s`;
  }
  // fetch reports network failures as "fetch failed" with the socket error as the cause.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return `cannot reach the service at ${url.origin}: ${reason}`;
}

/** Sends one request, prints the answer or the error, and returns the exit code. */
async function callService(connection: Connection, call: ServiceCall): Promise<number> {
  const url = new URL(`${connection.baseUrl}${call.path}`);
  for (const [name, value] of Object.entries(call.query ?? {})) {
    if (value !== undefined) {
      url.searchParams.set(name, value);
    }
  }
  const headers: Record<string, string> = { Accept: "application/json" };
  if (connection.apiKey !== undefined) {
    headers.Authorization = `Bearer ${connection.apiKey}`;
  }
  if (call.body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  if (call.idempotencyKey !== undefined) {
    headers["Idempotency-Key"] = call.idempotencyKey;
  }

  let status: number;
  let bodyText: string;
  try {
    const response = await fetch(url, {
      method: call.method,
      headers,
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal: AbortSignal.timeout(connection.timeoutMs),
    });
    status = response.status;
    bodyText = await response.text();
  } catch (error) {
    printJson(process.stderr, { error: describeFailure(error, url, connection.timeoutMs) });
    return EXIT_USAGE;
  }

  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    // Typically a proxy or a wrong --url answering with HTML; show the start of what came back.
    printJson(process.stderr, {
      error: `${call.method} ${url.pathname} answered HTTP ${status} with a body that is not JSON`,
      status,
      body: bodyText.slice(0, 500),
    });
    return EXIT_USAGE;
  }

  const ok = status >= 200 && status < 300;
  if (ok || call.answerStatuses?.includes(status)) {
    process.stdout.write(`${JSON.stringify(body, null, connection.pretty ? 2 : undefined)}\n`);
    if (!ok) {
      return EXIT_USAGE;
    }
    if (call.notice !== undefined) {
      process.stderr.write(`${call.notice}\n`);
    }
    return call.isNegative?.(body) ? EXIT_NEGATIVE : EXIT_OK;
  }
  // The service's envelope already carries `error`; anything else is wrapped to keep that shape.
  const envelope =
    isRecord(body) && typeof body.error === "string"
      ? body
      : { error: `${call.method} ${url.pathname} answered HTTP ${status}`, status, body };
  printJson(process.stderr, envelope);
  return EXIT_USAGE;
}

async function jsonFlag(value: string, flag: string): Promise<unknown> {
  const source = await flagText(value, flag);
  try {
    return JSON.parse(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`--${flag} is not valid JSON: ${reason}`);
  }
}

async function objectFlag(value: string, flag: string): Promise<Record<string, unknown>> {
  const parsed = await jsonFlag(value, flag);
  if (!isRecord(parsed)) {
    throw new UsageError(`--${flag} must be a JSON object`);
  }
  return parsed;
}

// A compact JWS: three base64url parts. Anything else that is not JSON is a mistake.
const COMPACT_TOKEN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * A license object, the output of issue, renew or show (which wrap it as `license`), or a
 * compact license token, which is sent as the string it is.
 */
async function licenseFlag(value: string): Promise<Record<string, unknown> | string> {
  const source = (await flagText(value, "license")).trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    if (COMPACT_TOKEN.test(source)) {
      return source;
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`--license is not valid JSON nor a license token: ${reason}`);
  }
  if (!isRecord(parsed)) {
    throw new UsageError("--license must be a JSON object or a license token");
  }
  const inner = parsed.license;
  return !("signature" in parsed) && isRecord(inner) ? inner : parsed;
}

/** `a,b` as a list; an empty value is the empty list. */
function listFlag(value: string, flag: string): string[] {
  if (value.trim() === "") {
    return [];
  }
  const items = value.split(",").map((item) => item.trim());
  if (items.includes("")) {
    throw new UsageError(`--${flag} has an empty name in ${JSON.stringify(value)}`);
  }
  return items;
}

/** Checked with the service's own date rules, so typos fail before anything is sent. */
function dateFlag(value: string, flag: string): string {
  if (parseInstant(value, false) === undefined) {
    throw new UsageError(
      `--${flag} must be a date (YYYY-MM-DD) or RFC 3339 timestamp, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function optionalDate(value: string | undefined, flag: string): string | undefined {
  return value === undefined ? undefined : dateFlag(value, flag);
}

function countFlag(value: string | undefined, flag: string): string | undefined {
  if (value !== undefined && !/^[1-9][0-9]*$/.test(value)) {
    throw new UsageError(`--${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

// The service's rule for Idempotency-Key values.
const IDEMPOTENCY_KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

const IDEMPOTENCY_USAGE = [
  "  --idempotency-key K          sent as Idempotency-Key: running the same command again with",
  "                               the same K returns the first answer instead of issuing twice",
  "                               (default: a fresh random key for each run)",
].join("\n");

/**
 * The given key, or a fresh one. A fresh key makes copies of this one request harmless, such
 * as a proxy sending it twice; only a key the user chose, and can give again, makes a second
 * run safe, which is why the fresh one is not worth printing.
 */
function idempotencyKey(value: string | undefined): string {
  if (value === undefined) {
    return crypto.randomUUID();
  }
  if (!IDEMPOTENCY_KEY_FORMAT.test(value)) {
    throw new UsageError(
      `--idempotency-key must be 1-255 visible ASCII characters, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Copies the defined entries only: the service's request schemas are strict about fields. */
function defined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

interface ServiceCommandSpec<Names extends string> {
  summary: string;
  usage: string;
  flags: readonly Names[];
  request(flags: Partial<Record<Names, string>>): ServiceCall | Promise<ServiceCall>;
}

interface ServiceCommand extends Command {
  /** The usage without the connection flags, for the usage of the group it belongs to. */
  ownUsage: string;
}

function serviceCommand<const Names extends string>(
  spec: ServiceCommandSpec<Names>,
): ServiceCommand {
  return {
    summary: spec.summary,
    ownUsage: spec.usage,
    usage: `${spec.usage}\n\n${CONNECTION_USAGE}`,
    async run(args) {
      const flags = parseFlags(args, [...spec.flags, ...CONNECTION_FLAGS], SWITCHES);
      const connection = connectionOf(flags);
      const call = await spec.request(flags);
      return await callService(connection, call);
    },
  };
}

const health = serviceCommand({
  summary: "Ask the service whether it can issue and validate licenses",
  usage: `Usage: npm run cli -- health

GET /health. Exits 0 when the service reports ok; a degraded service (HTTP 503) still prints
its report on stdout, and exits 2.`,
  flags: [],
  request: () => ({ method: "GET", path: "/health", answerStatuses: [503] }),
});

const issue = serviceCommand({
  summary: "Issue and sign a license",
  usage: `Usage: npm run cli -- issue --customer C --modules a,b --expires-at DATE [options]

  --customer C                 who the license is for
  --modules a,b                licensed modules, comma-separated ("" for none)
  --expires-at DATE            YYYY-MM-DD (end of that day, UTC) or an RFC 3339 timestamp
  --not-before DATE            start of validity (default: now)
  --metadata JSON|@FILE|-      a JSON object stored in the license, e.g. '{"seats":5}'
${IDEMPOTENCY_USAGE}

POST /license/issue. Prints {"success":true,"license":{...}}.`,
  flags: ["customer", "modules", "expires-at", "not-before", "metadata", "idempotency-key"],
  async request(flags) {
    const customer = required(flags.customer, "customer");
    const modulesText = flags.modules;
    if (modulesText === undefined) {
      throw new UsageError('missing required flag --modules (use --modules "" for none)');
    }
    const modules = listFlag(modulesText, "modules");
    const expiresAt = dateFlag(required(flags["expires-at"], "expires-at"), "expires-at");
    const notBefore = optionalDate(flags["not-before"], "not-before");
    const metadata =
      flags.metadata === undefined ? undefined : await objectFlag(flags.metadata, "metadata");
    return {
      method: "POST",
      path: "/license/issue",
      idempotencyKey: idempotencyKey(flags["idempotency-key"]),
      body: defined({
        customer,
        modules,
        expires_at: expiresAt,
        metadata,
        not_before: notBefore,
      }),
    };
  },
});

const validate = serviceCommand({
  summary: "Check a license with the service: signature, dates, status, module",
  usage: `Usage: npm run cli -- validate --license JSON|@FILE|- [--module M]

  --license JSON|@FILE|-       the license object, inline, from a file, or from stdin; the
                               output of issue, renew or show is accepted as well, and so is
                               a compact license token (license_token of issue's output)
  --module M                   also require this module to be licensed

POST /license/validate. Prints the validation answer; exits 0 when it is valid, 1 when not.`,
  flags: ["license", "module"],
  async request(flags) {
    const license = await licenseFlag(required(flags.license, "license"));
    return {
      method: "POST",
      path: "/license/validate",
      body: defined({ license, module: nonEmpty(flags.module) }),
      isNegative: (body) => !isRecord(body) || body.valid !== true,
    };
  },
});

const renew = serviceCommand({
  summary: "Issue a renewed license that supersedes the old one",
  usage: `Usage: npm run cli -- renew (--license JSON|@FILE|- | --license-id ID) --expires-at DATE
         [options]

  --license JSON|@FILE|-       the license to renew (the output of issue or show, or a
                               license token, works too)
  --license-id ID              or the id of a license the service holds
  --expires-at DATE            the new expiry: YYYY-MM-DD or an RFC 3339 timestamp
  --add-modules a,b            modules to add to the renewed license
  --metadata-updates JSON|@FILE|-
                               a JSON object merged into the metadata; null removes a key
${IDEMPOTENCY_USAGE}

POST /license/renew. Prints {"success":true,"license":{...}}.`,
  flags: [
    "license",
    "license-id",
    "expires-at",
    "add-modules",
    "metadata-updates",
    "idempotency-key",
  ],
  async request(flags) {
    const licenseText = nonEmpty(flags.license);
    const licenseId = nonEmpty(flags["license-id"]);
    if ((licenseText === undefined) === (licenseId === undefined)) {
      throw new UsageError("give either --license or --license-id, not both");
    }
    const expiresAt = dateFlag(required(flags["expires-at"], "expires-at"), "expires-at");
    const addModules = flags["add-modules"];
    const updates = flags["metadata-updates"];
    const key = idempotencyKey(flags["idempotency-key"]);
    return {
      method: "POST",
      path: "/license/renew",
      idempotencyKey: key,
      body: defined({
        license: licenseText === undefined ? undefined : await licenseFlag(licenseText),
        license_id: licenseId,
        new_expires_at: expiresAt,
        extend_modules: addModules === undefined ? undefined : listFlag(addModules, "add-modules"),
        metadata_updates:
          updates === undefined ? undefined : await objectFlag(updates, "metadata-updates"),
      }),
    };
  },
});

const revoke = serviceCommand({
  summary: "Revoke a license for good",
  usage: `Usage: npm run cli -- revoke --license-id ID --reason R [--effective-date DATE]

  --license-id ID              the license to revoke
  --reason R                   why, kept in the license history
  --effective-date DATE        when the revocation takes effect (default: now)

POST /license/revoke.`,
  flags: ["license-id", "reason", "effective-date"],
  request: (flags) => ({
    method: "POST",
    path: "/license/revoke",
    body: defined({
      license_id: required(flags["license-id"], "license-id"),
      reason: required(flags.reason, "reason"),
      effective_date: optionalDate(flags["effective-date"], "effective-date"),
    }),
  }),
});

function stateChange(action: "suspend" | "reinstate", summary: string): Command {
  return serviceCommand({
    summary,
    usage: `Usage: npm run cli -- ${action} --license-id ID [--reason R]

  --license-id ID              the license to ${action}
  --reason R                   why, kept in the license history

POST /license/${action}.`,
    flags: ["license-id", "reason"],
    request: (flags) => ({
      method: "POST",
      path: `/license/${action}`,
      body: defined({
        license_id: required(flags["license-id"], "license-id"),
        reason: nonEmpty(flags.reason),
      }),
    }),
  });
}

const list = serviceCommand({
  summary: "List licenses, newest first",
  usage: `Usage: npm run cli -- list [options]

  --customer C                 only this customer's licenses
  --status S                   ${LICENSE_STATUSES.join(" | ")}
  --limit N                    licenses per page
  --page N                     page number, from 1
  --cursor X                   continue from a previous answer's next_cursor

GET /license/list.`,
  flags: ["customer", "status", "limit", "page", "cursor"],
  request(flags) {
    const status = nonEmpty(flags.status);
    if (status !== undefined && !LICENSE_STATUSES.some((known) => known === status)) {
      throw new UsageError(
        `--status must be one of ${LICENSE_STATUSES.join(", ")}, got ${JSON.stringify(status)}`,
      );
    }
    return {
      method: "GET",
      path: "/license/list",
      query: {
        customer: nonEmpty(flags.customer),
        status,
        limit: countFlag(flags.limit, "limit"),
        page: countFlag(flags.page, "page"),
        cursor: nonEmpty(flags.cursor),
      },
    };
  },
});

const show = serviceCommand({
  summary: "Show one license with its status and history",
  usage: `Usage: npm run cli -- show --license-id ID

GET /license/:id.`,
  flags: ["license-id"],
  request: (flags) => ({
    method: "GET",
    path: `/license/${encodeURIComponent(required(flags["license-id"], "license-id"))}`,
  }),
});

const batchIssue = serviceCommand({
  summary: "Issue many licenses from a JSON file",
  usage: `Usage: npm run cli -- batch-issue --file FILE|- [--idempotency-key K]

  --file FILE|-                a JSON array of issue requests (as for issue, with snake_case
                               fields), or a whole {"licenses":[...]} body; - reads stdin
${IDEMPOTENCY_USAGE}

POST /license/batch/issue. Prints {"success","issued","failed","results"}; the exit code is 0
whenever the service answers 2xx, so check "failed" for per-license errors.`,
  flags: ["file", "idempotency-key"],
  async request(flags) {
    const file = required(flags.file, "file");
    const key = idempotencyKey(flags["idempotency-key"]);
    const parsed = await jsonFlag(file === "-" ? file : `@${file}`, "file");
    const body = Array.isArray(parsed) ? { licenses: parsed } : parsed;
    if (!isRecord(body) || !Array.isArray(body.licenses)) {
      throw new UsageError('--file must hold a JSON array or a {"licenses":[...]} object');
    }
    if (body.licenses.length === 0) {
      throw new UsageError("--file holds no licenses");
    }
    return { method: "POST", path: "/license/batch/issue", body, idempotencyKey: key };
  },
});

/** A group of service commands, whose usage shows every subcommand's flags. */
function serviceGroup(
  name: string,
  summary: string,
  subcommands: Readonly<Record<string, ServiceCommand>>,
): Command {
  const names = Object.keys(subcommands).join("|");
  const usage = [
    `Usage: npm run cli -- ${name} <${names}> [flags]`,
    ...Object.values(subcommands).map((subcommand) => subcommand.ownUsage),
    CONNECTION_USAGE,
  ].join("\n\n");
  return commandGroup(name, summary, usage, subcommands);
}

const ADMIN_NOTE = "Needs an admin API key.";

const credentialsCreate = serviceCommand({
  summary: "Create an API key; its secret is shown only once",
  usage: `Usage: npm run cli -- credentials create --name N --role ROLE [--expires-at DATE]
         [--tenant T]

  --name N                     what the key is for, e.g. "billing sync"
  --role ROLE                  ${ROLES.join(" | ")}
  --expires-at DATE            when the key stops working: YYYY-MM-DD (end of that day, UTC)
                               or an RFC 3339 timestamp (default: never)
  --tenant T                   the tenant the key acts for (default: the caller's own; only
                               admins of the default tenant may name another)

POST /credentials. ${ADMIN_NOTE} Prints
{"success":true,"credential":{...},"secret":"..."}. The service keeps only a hash of the
secret, so store it now: it cannot be shown again.`,
  flags: ["name", "role", "expires-at", "tenant"],
  request(flags) {
    const name = required(flags.name, "name");
    const role = required(flags.role, "role");
    if (!ROLES.some((known) => known === role)) {
      throw new UsageError(
        `--role must be one of ${ROLES.join(", ")}, got ${JSON.stringify(role)}`,
      );
    }
    return {
      method: "POST",
      path: "/credentials",
      body: defined({
        name,
        role,
        expires_at: optionalDate(flags["expires-at"], "expires-at"),
        tenant_id: nonEmpty(flags.tenant),
      }),
      notice: "The secret above is shown only once: store it now, it cannot be retrieved later.",
    };
  },
});

const credentialsList = serviceCommand({
  summary: "List a tenant's API keys, without their secrets",
  usage: `Usage: npm run cli -- credentials list [--tenant T]

  --tenant T                   whose keys (default: the caller's tenant)

GET /credentials. ${ADMIN_NOTE} Prints {"credentials":[...]}.`,
  flags: ["tenant"],
  request: (flags) => ({
    method: "GET",
    path: "/credentials",
    query: { tenant_id: nonEmpty(flags.tenant) },
  }),
});

const credentialsRevoke = serviceCommand({
  summary: "Revoke an API key at once",
  usage: `Usage: npm run cli -- credentials revoke --key-id ID [--tenant T]

  --key-id ID                  the key's id (key_...), as credentials list shows it
  --tenant T                   the tenant the key belongs to (default: the caller's tenant)

DELETE /credentials/:id. ${ADMIN_NOTE} Prints {"success":true,"credential":{...}}.`,
  flags: ["key-id", "tenant"],
  request: (flags) => ({
    method: "DELETE",
    path: `/credentials/${encodeURIComponent(required(flags["key-id"], "key-id"))}`,
    query: { tenant_id: nonEmpty(flags.tenant) },
  }),
});

const tenantsCreate = serviceCommand({
  summary: "Create a tenant, checking that Vault can sign with its key",
  usage: `Usage: npm run cli -- tenants create --id T --name N [--transit-key K]
         [--vault-namespace NS]

  --id T                       the tenant id: 2-63 lowercase letters, digits or dashes
  --name N                     a display name
  --transit-key K              the Transit key that signs its licenses (default: the
                               service's key); it must already exist in Vault
  --vault-namespace NS         the Vault namespace holding that key (default: the service's)

POST /tenants. Needs an admin API key of the default tenant. Prints
{"success":true,"tenant":{...}}.`,
  flags: ["id", "name", "transit-key", "vault-namespace"],
  request: (flags) => ({
    method: "POST",
    path: "/tenants",
    body: defined({
      tenant_id: required(flags.id, "id"),
      name: required(flags.name, "name"),
      transit_key: nonEmpty(flags["transit-key"]),
      vault_namespace: nonEmpty(flags["vault-namespace"]),
    }),
  }),
});

const tenantsList = serviceCommand({
  summary: "List the tenants the caller may see",
  usage: `Usage: npm run cli -- tenants list

GET /tenants. ${ADMIN_NOTE} Prints {"tenants":[...]}: every tenant for admins of the
default tenant, else the caller's own.`,
  flags: [],
  request: () => ({ method: "GET", path: "/tenants" }),
});

const TENANT_USAGE = [
  "  --tenant T                   whose key (default: the caller's tenant; only admins of the",
  "                               default tenant may name another)",
].join("\n");

const KEY_ANSWER = `Prints
{"success":true,"key":{"name","type","latest_version","min_version","versions":[...]}}.`;

const keysCreate = serviceCommand({
  summary: "Create the tenant's Transit signing key in Vault",
  usage: `Usage: npm run cli -- keys create --type TYPE [--tenant T]

  --type TYPE                  ed25519 | ecdsa-p256 | ecdsa-p384 | ecdsa-p521 |
                               rsa-2048 | rsa-3072 | rsa-4096
${TENANT_USAGE}

POST /keys. ${ADMIN_NOTE} ${KEY_ANSWER}`,
  flags: ["type", "tenant"],
  request(flags) {
    const type = required(flags.type, "type");
    if (!isVaultKeyType(type)) {
      throw new UsageError(
        `--type must be one of ${VAULT_KEY_TYPES.join(", ")}, got ${JSON.stringify(type)}`,
      );
    }
    return {
      method: "POST",
      path: "/keys",
      query: { tenant_id: nonEmpty(flags.tenant) },
      body: { type },
    };
  },
});

const keysShow = serviceCommand({
  summary: "Show the signing key: its versions, kids, public keys, minimum version",
  usage: `Usage: npm run cli -- keys show [--tenant T]

${TENANT_USAGE}

GET /keys. ${ADMIN_NOTE} Prints {"key":{...}}.`,
  flags: ["tenant"],
  request: (flags) => ({
    method: "GET",
    path: "/keys",
    query: { tenant_id: nonEmpty(flags.tenant) },
  }),
});

const keysRotate = serviceCommand({
  summary: "Rotate the signing key: new licenses are signed with a new version",
  usage: `Usage: npm run cli -- keys rotate [--tenant T]

${TENANT_USAGE}

POST /keys/rotate. ${ADMIN_NOTE} Licenses signed with older versions stay valid until
keys set-min retires them. ${KEY_ANSWER}`,
  flags: ["tenant"],
  request: (flags) => ({
    method: "POST",
    path: "/keys/rotate",
    query: { tenant_id: nonEmpty(flags.tenant) },
    body: {},
  }),
});

const keysSetMin = serviceCommand({
  summary: "Retire every key version below N",
  usage: `Usage: npm run cli -- keys set-min --version N [--tenant T]

  --version N                  the oldest version still accepted; licenses signed with an
                               older one report KEY_VERSION_RETIRED (lowering N again brings
                               them back)
${TENANT_USAGE}

POST /keys/min-version. ${ADMIN_NOTE} ${KEY_ANSWER}`,
  flags: ["version", "tenant"],
  request(flags) {
    const version = countFlag(required(flags.version, "version"), "version");
    return {
      method: "POST",
      path: "/keys/min-version",
      query: { tenant_id: nonEmpty(flags.tenant) },
      body: { min_version: Number(version) },
    };
  },
});

/** The HTTP commands, by the name typed on the command line. */
export const serviceCommands: Record<string, Command> = {
  health,
  issue,
  validate,
  renew,
  revoke,
  suspend: stateChange("suspend", "Suspend a license until it is reinstated"),
  reinstate: stateChange("reinstate", "Lift a suspension"),
  list,
  show,
  "batch-issue": batchIssue,
  credentials: serviceGroup("credentials", "Manage API keys (admin)", {
    create: credentialsCreate,
    list: credentialsList,
    revoke: credentialsRevoke,
  }),
  tenants: serviceGroup("tenants", "Manage tenants (admin)", {
    create: tenantsCreate,
    list: tenantsList,
  }),
  keys: serviceGroup("keys", "Manage the signing key (admin)", {
    create: keysCreate,
    show: keysShow,
    rotate: keysRotate,
    "set-min": keysSetMin,
  }),
};
