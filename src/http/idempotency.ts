import { createMiddleware } from "hono/factory";
import { canonicalJson } from "../crypto/canonical.ts";
import { ApiError } from "../errors.ts";
import type { IdempotencyScope } from "../idempotency/store.ts";
import {
  claimKey,
  completeStatement,
  readKey,
  releaseClaim,
  takeOver,
} from "../idempotency/store.ts";
import type { IdempotencyRecord } from "../licenses/context.ts";
import { DEFAULT_TENANT } from "../tenants/store.ts";
import type { AppEnv } from "./env.ts";
import { log } from "./log.ts";

const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;
/** A claim older than this belongs to a request that died; its key may be used again. */
const ABANDONED_AFTER_MS = 60_000;

async function requestHash(method: string, path: string, body: string): Promise<string> {
  let normalized = body;
  try {
    // The same JSON sent with other spacing or key order is the same request.
    normalized = canonicalJson(JSON.parse(body));
  } catch {
    // Not JSON: compared byte for byte; the route will reject it anyway.
  }
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(`${method} ${path}\n${normalized}`),
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Honours `Idempotency-Key`: the first request with a key runs and its response is kept (in
 * the same D1 batch as what it stored); a retry with the same key and body gets that response
 * without signing again; the same key with another body is refused with 422; a retry while the
 * first still runs gets 409. Keys expire after the configured time.
 */
export const idempotent = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("Idempotency-Key");
  if (key === undefined) {
    await next();
    return;
  }
  if (!KEY_FORMAT.test(key)) {
    throw new ApiError("INVALID_LICENSE", "Idempotency-Key must be 1-255 visible ASCII characters");
  }

  const db = c.env.DB;
  const scope: IdempotencyScope = {
    tenantId: c.get("principal")?.tenantId ?? DEFAULT_TENANT,
    key,
  };
  const route = `${c.req.method} ${c.req.path}`;
  const hash = await requestHash(c.req.method, c.req.path, await c.req.text());
  const now = Date.now();
  const claimedAt = new Date(now).toISOString();
  const expiresAt = new Date(now + c.get("config").idempotencyTtlMs).toISOString();

  let claimed = await claimKey(db, scope, route, hash, claimedAt, expiresAt);
  if (!claimed) {
    const existing = await readKey(db, scope);
    if (existing && existing.expires_at > claimedAt) {
      if (existing.request_hash !== hash) {
        throw new ApiError(
          "IDEMPOTENCY_MISMATCH",
          "this Idempotency-Key was used with a different request",
          { details: { route: existing.route } },
        );
      }
      if (existing.state === "done") {
        return new Response(existing.response_body, {
          status: existing.response_status ?? 200,
          headers: { "Content-Type": "application/json", "Idempotent-Replayed": "true" },
        });
      }
      if (now - Date.parse(existing.claimed_at) < ABANDONED_AFTER_MS) {
        throw new ApiError("CONFLICT", "a request with this Idempotency-Key is in progress", {
          headers: { "Retry-After": "1" },
        });
      }
    }
    const previous = existing?.claimed_at;
    claimed =
      previous !== undefined &&
      (await takeOver(db, scope, previous, route, hash, claimedAt, expiresAt));
    if (!claimed) {
      throw new ApiError("CONFLICT", "a request with this Idempotency-Key is in progress", {
        headers: { "Retry-After": "1" },
      });
    }
  }

  let recordedWithChange = false;
  const record: IdempotencyRecord = {
    complete: (queryable, status, body, onlyIfLicense) => {
      recordedWithChange = true;
      return completeStatement(queryable, scope, status, body, onlyIfLicense);
    },
  };
  c.set("idempotency", record);
  await next();

  if (c.res.status >= 400) {
    await releaseClaim(db, scope);
    return;
  }
  if (recordedWithChange) {
    return;
  }
  // A success that stored nothing (a batch of only invalid items) is recorded on its own.
  try {
    const body: unknown = await c.res.clone().json();
    await completeStatement(db, scope, c.res.status, body).run();
  } catch (error) {
    log("warn", "idempotency record not completed", {
      request_id: c.get("requestId"),
      error: error instanceof Error ? error.message : String(error),
    });
  }
});
