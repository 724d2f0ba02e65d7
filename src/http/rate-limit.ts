import { createMiddleware } from "hono/factory";
import type { Config } from "../config.ts";
import { ApiError } from "../errors.ts";
import type { RateLimitDecision } from "../ratelimit/limiter.ts";
import type { AppEnv } from "./env.ts";
import { log } from "./log.ts";

export interface RateLimitRule {
  /** Names the budget in headers and in the limiter's storage. */
  name: string;
  limit: number;
  windowSeconds: number;
  /** What to do when the limiter cannot be reached: let the request through, or refuse it. */
  onLimiterFailure: "open" | "closed";
}

/**
 * Counts each request of the authenticated caller against `rule` in that caller's Durable
 * Object, and refuses it with 429 RATE_LIMITED once the window's budget is spent.
 */
export function rateLimit(rule: (config: Config) => RateLimitRule) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const current = rule(c.get("config"));
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
        policy: current.onLimiterFailure,
        error: error instanceof Error ? error.message : String(error),
      });
      if (current.onLimiterFailure === "closed") {
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
