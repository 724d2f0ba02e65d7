import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "./env.ts";

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

/** Bodies over the configured size are refused with 413 before they are read. */
export const limitBody = createMiddleware<AppEnv>(async (c, next) => {
  const maxSize = c.get("config").maxBodyBytes;
  return await bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("PAYLOAD_TOO_LARGE", `request bodies are limited to ${maxSize} bytes`);
    },
  })(c, next);
});

/** Requests that carry a body must say it is JSON: anything else gets 415. */
export const requireJson = createMiddleware<AppEnv>(async (c, next) => {
  const method = c.req.method;
  if (method === "POST" || method === "PUT" || method === "PATCH") {
    const type = c.req.header("Content-Type") ?? "";
    if (!JSON_TYPE.test(type)) {
      throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "send the request body as application/json", {
        details: { content_type: type || null },
      });
    }
  }
  await next();
});

/** API answers are about live state: no cache between the caller and the service keeps them. */
export const noStore = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (!c.res.headers.has("Cache-Control")) {
    c.header("Cache-Control", "no-store");
  }
});

/**
 * CORS, allowing only configured origins: applications' origins for validation, back-office
 * origins for everything else. Both lists are empty by default, which sends no CORS headers.
 */
export const corsPolicy = createMiddleware<AppEnv>(async (c, next) => {
  const group = c.req.path === "/license/validate" ? "validate" : "admin";
  const allowed = c.get("config").cors[group];
  if (allowed.length === 0) {
    await next();
    return;
  }
  return await cors({
    origin: allowed.includes("*") ? "*" : allowed,
    allowHeaders: [
      "Authorization",
      "Content-Type",
      "X-API-Key",
      "Idempotency-Key",
      "X-D1-Bookmark",
    ],
    exposeHeaders: [
      "X-Request-Id",
      "X-D1-Bookmark",
      "RateLimit",
      "RateLimit-Policy",
      "Retry-After",
    ],
    allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    maxAge: 600,
  })(c, next);
});
