import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConfigError } from "../config.ts";
import { ApiError, errorEnvelope } from "../errors.ts";
import { KeyringError } from "../keys/keyring.ts";
import { VaultError } from "../vault/errors.ts";
import type { AppEnv } from "./env.ts";
import { log } from "./log.ts";

/** Turns anything thrown while handling a request into the one error type users see. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) {
    return error;
  }
  if (error instanceof VaultError) {
    const headers: Record<string, string> =
      error.retryAfterSeconds === undefined
        ? {}
        : { "Retry-After": String(error.retryAfterSeconds) };
    return new ApiError("VAULT_ERROR", error.message, {
      details: { vault: error.kind, ...(error.status ? { status: error.status } : {}) },
      headers,
      cause: error,
    });
  }
  if (error instanceof KeyringError) {
    return new ApiError("VAULT_ERROR", error.message, { cause: error });
  }
  if (error instanceof ConfigError) {
    return new ApiError("INTERNAL", "the service is misconfigured", {
      details: { problems: error.problems },
      cause: error,
    });
  }
  if (error instanceof HTTPException && error.status < 500) {
    // Raised by Hono itself for bodies it cannot read, such as malformed JSON.
    return new ApiError("INVALID_LICENSE", error.message || "the request is malformed", {
      cause: error,
    });
  }
  return new ApiError("INTERNAL", "internal error", { cause: error });
}

export function renderError(error: unknown, c: Context<AppEnv>): Response {
  const apiError = toApiError(error);
  const requestId = c.get("requestId") ?? "unknown";
  const cause = apiError.code === "INTERNAL" ? (apiError.cause ?? error) : undefined;
  log(apiError.status >= 500 ? "error" : "info", "request failed", {
    request_id: requestId,
    code: apiError.code,
    error: apiError.message,
    ...(cause instanceof Error ? { cause: cause.message, stack: cause.stack } : {}),
  });
  return c.json(
    errorEnvelope(apiError, requestId),
    apiError.status as ContentfulStatusCode,
    apiError.headers,
  );
}
