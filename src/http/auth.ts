import { createMiddleware } from "hono/factory";
import { authenticateApiKey } from "../auth/api-keys.ts";
import type { Role } from "../auth/principal.ts";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "./env.ts";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="license-authority"' };

function presentedKey(
  authorization: string | undefined,
  apiKey: string | undefined,
): string | null {
  if (apiKey) {
    return apiKey;
  }
  const match = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  return match?.[1] ?? null;
}

/**
 * Requires an API key (`Authorization: Bearer <key>` or `X-API-Key`) whose role is one of
 * `roles`. With `optional`, a request without a key passes through unauthenticated.
 */
export function requireRole(roles: readonly Role[], options: { optional?: boolean } = {}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const secret = presentedKey(c.req.header("Authorization"), c.req.header("X-API-Key"));
    if (secret === null) {
      if (options.optional) {
        await next();
        return;
      }
      throw new ApiError("UNAUTHORIZED", "an API key is required", { headers: CHALLENGE });
    }

    const principal = await authenticateApiKey(
      c.env.DB,
      c.get("config").adminApiKey,
      secret,
      Date.now(),
      (work) => c.executionCtx.waitUntil(work),
    );
    if (!principal) {
      throw new ApiError("UNAUTHORIZED", "the API key is not valid", {
        headers: { "WWW-Authenticate": 'Bearer realm="license-authority", error="invalid_token"' },
      });
    }
    if (!roles.includes(principal.role)) {
      throw new ApiError("FORBIDDEN", `this action needs one of the roles: ${roles.join(", ")}`);
    }
    c.set("principal", principal);
    await next();
  });
}
