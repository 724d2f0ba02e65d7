// The errors the SDK throws. A definite answer of the service that is not a success becomes a
// LicenseApiError; not getting an answer at all becomes a LicenseNetworkError, so callers can
// tell "the service said no" from "we do not know what happened".

import type { ErrorCode } from "./types.ts";

/** A non-2xx answer of the service, or a 2xx answer that is not JSON. */
export class LicenseApiError extends Error {
  override name = "LicenseApiError";
  readonly status: number;
  /**
   * The envelope's code; null when the answer was not the service's error envelope (a proxy or
   * load balancer answered) or names a code this SDK does not know.
   */
  readonly code: ErrorCode | null;
  /** The envelope's `request_id`, else the `X-Request-Id` header: quote it when asking for help. */
  readonly requestId: string | null;
  readonly details: unknown;
  /** From `Retry-After`, when the service said when to try again. */
  readonly retryAfterSeconds: number | null;
  /** The parsed answer (or its text when it is not JSON), for codes this SDK does not know. */
  readonly body: unknown;
  readonly method: string;
  readonly path: string;

  constructor(
    message: string,
    fields: {
      status: number;
      code: ErrorCode | null;
      requestId: string | null;
      details: unknown;
      retryAfterSeconds: number | null;
      body: unknown;
      method: string;
      path: string;
    },
  ) {
    super(message);
    this.status = fields.status;
    this.code = fields.code;
    this.requestId = fields.requestId;
    this.details = fields.details;
    this.retryAfterSeconds = fields.retryAfterSeconds;
    this.body = fields.body;
    this.method = fields.method;
    this.path = fields.path;
  }
}

/**
 * No answer: the service could not be reached, the connection broke, or it did not answer
 * within the timeout. A write may or may not have happened.
 */
export class LicenseNetworkError extends Error {
  override name = "LicenseNetworkError";
  readonly timedOut: boolean;
  readonly method: string;
  readonly path: string;

  constructor(
    message: string,
    fields: { timedOut: boolean; method: string; path: string; cause: unknown },
  ) {
    super(message, { cause: fields.cause });
    this.timedOut = fields.timedOut;
    this.method = fields.method;
    this.path = fields.path;
  }
}

/**
 * The key set for offline verification could not be fetched or used. It says nothing about the
 * token, which is why it is thrown rather than reported as an invalid signature.
 */
export class LicenseKeySetError extends Error {
  override name = "LicenseKeySetError";

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
  }
}
