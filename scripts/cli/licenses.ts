// The license commands: each sends one request about licenses to a running service.

import { LICENSE_STATUSES } from "../../src/licenses/schemas.ts";
import { type Command, flagText, required, UsageError } from "./common.ts";
import {
  countFlag,
  dateFlag,
  defined,
  isRecord,
  nonEmpty,
  optionalDate,
  serviceCommand,
} from "./http.ts";

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

/** The license commands, by the name typed on the command line. */
export const licenseCommands: Record<string, Command> = {
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
};
