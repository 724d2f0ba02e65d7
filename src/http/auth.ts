import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ACCESS_ASSERTION_HEADER, verifyAccessAssertion } from "../auth/access.ts";
import { authenticateApiKey } from "../auth/api-keys.ts";
import { CredentialError, verifyBearerJwt } from "../auth/jwt.ts";
import type { Principal, Role } from "../auth/principal.ts";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "./env.ts";

const REALM = 'Bearer realm="license-authority"';
/** Three base64url segments; the last may be empty, so unsigned tokens reach the verifier. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function bearerValue(authorization: string | undefined): string | null {
  const match = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  return match?.[1] ?? null;
}

async function fromApiKey(c: Context<AppEnv>, secret: string): Promise<Principal> {
  const principal = await authenticateApiKey(
    c.env.DB,
    c.get("config").adminApiKey,
    secret,
    Date.now(),
    (work) => c.executionCtx.waitUntil(work),
  );
  if (!principal) {
    throw new ApiError("UNAUTHORIZED", "the API key is not valid", {
      headers: { "WWW-Authenticate": `${REALM}, error="invalid_token"` },
    });
  }
  return principal;
}

async function fromToken(kind: string, verify: () => Promise<Principal>): Promise<Principal> {
  try {
    return await verify();
  } catch (error) {
    if (!(error instanceof CredentialError)) {
      throw error;
    }
    throw new ApiError("UNAUTHORIZED", `the ${kind} is not valid: ${error.reason}`, {
      headers: {
        "WWW-Authenticate": `${REALM}, error="invalid_token", error_description="${error.reason}"`,
      },
    });
  }
}

/**
 * The principal behind the request's credential, or null when it presents none. In order:
 * `X-API-Key`; `Authorization: Bearer`, a JWT when JWT is configured and the value has a JWT's
 * shape, else an API key; Cloudflare Access's assertion header when Access is configured.
 */
async function authenticate(c: Context<AppEnv>): Promise<Principal | null> {
  const { jwt, access } = c.get("config");
  const apiKey = c.req.header("X-API-Key");
  if (apiKey) {
    return await fromApiKey(c, apiKey);
  }
  const authorization = c.req.header("Authorization");
  const bearer = bearerValue(authorization);
  if (authorization !== undefined && bearer === null) {
    // A credential in another scheme is not silently ignored: the caller meant to send one.
    throw new ApiError("UNAUTHORIZED", "the Authorization header must use the Bearer scheme", {
      headers: { "WWW-Authenticate": `${REALM}, error="invalid_request"` },
    });
  }
  if (bearer !== null) {
    return jwt && JWT_SHAPE.test(bearer)
      ? await fromToken("token", () => verifyBearerJwt(bearer, jwt))
      : await fromApiKey(c, bearer);
  }
  const assertion = c.req.header(ACCESS_ASSERTION_HEADER);
  if (assertion && access) {
    return await fromToken("Access assertion", () => verifyAccessAssertion(assertion, access));
  }
  return null;
}

/**
 * Requires a credential (an API key, a bearer JWT or a Cloudflare Access assertion) whose role
 * is one of `roles`. With `optional`, a request without one passes through unauthenticated.
 */
export function requireRole(roles: readonly Role[], options: { optional?: boolean } = {}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = await authenticate(c);
    if (principal === null) {
      if (options.optional) {
        await next();
        return;
      }
      throw new ApiError("UNAUTHORIZED", "an API key or token is required", {
        headers: { "WWW-Authenticate": REALM },
      });
    }
    if (!roles.includes(principal.role)) {
      throw new ApiError("FORBIDDEN", `this action needs one of the roles: ${roles.join(", ")}`);
    }
    c.set("principal", principal);
    await next();
  });
}
