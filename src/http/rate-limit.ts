import { createMiddleware } from "hono/factory";
import type { RateLimitGroup } from "../config.ts";
import { ApiError } from "../errors.ts";
import type { RateLimitDecision } from "../ratelimit/limiter.ts";
import type { AppEnv } from "./env.ts";
import { log } from "./log.ts";

/**
 * Counts each request against the budget of `group` for the caller: its credential, or its
 * client IP when it sent none. Past the budget, 429 RATE_LIMITED. When the limiter cannot be
 * reached, `onLimiterFailure` decides: let the request through ("open") or refuse it ("closed").
 */
export function rateLimit(group: RateLimitGroup, onLimiterFailure: "open" | "closed") {
  return createMiddleware<AppEnv>(async (c, next) => {
    const limits = c.get("config").rateLimits;
    const current = { name: group, limit: limits[group], windowSeconds: limits.windowSeconds };
    const principal = c.get("principal");
    const identity = principal
      ? `key:${principal.keyId}`
      : `ip:${c.req.header("CF-Connecting-IP") ?? "unknown"}`;

    let decision: RateLimitDecision | undefined;
    try {
      const stub = c.env.RATE_LIMITER.getByName(identity);
      decision = await stub.hit(current.name, current.limit, current.windowSeconds * 1_000);
    } catch (error) {
      log("error", "rate limiter unavailable", {
        request_id: c.get("requestId"),
        policy: onLimiterFailure,
        error: error instanceof Error ? error.message : String(error),
      });
      if (onLimiterFailure === "closed") {
        throw new ApiError("RATE_LIMITED", "the rate limiter is unavailable; try again shortly", {
          headers: { "Retry-After": "1" },
        });
      }
    }

    if (decision) {
      const policy = `"${current.name}";q=${decision.limit};w=${current.windowSeconds}`;
      const state = `"${current.name}";r=${decision.remaining};t=${decision.resetSeconds}`;
      if (!decision.allowed) {
        const message = `rate limit of ${decision.limit} per ${current.windowSeconds} s reached`;
        throw new ApiError("RATE_LIMITED", message, {
          details: { limit: decision.limit, window_seconds: current.windowSeconds },
          headers: {
            "Retry-After": String(decision.resetSeconds),
            "RateLimit-Policy": policy,
            RateLimit: state,
          },
        });
      }
      c.header("RateLimit-Policy", policy);
      c.header("RateLimit", state);
    }
    await next();
  });
}
