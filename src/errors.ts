/** Error codes of the API, each with the one HTTP status it is sent with. */
export const ERROR_STATUS = {
  INVALID_LICENSE: 400,
  EXPIRED_LICENSE: 400,
  INVALID_SIGNATURE: 401,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_MISMATCH: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  VAULT_ERROR: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * The only error type that reaches API users; services throw it and the app's error handler
 * renders it, once, as the error envelope.
 */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: unknown; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "ApiError";
    this.code = code;
    this.details = options.details ?? null;
    this.headers = options.headers ?? {};
  }

  get status(): (typeof ERROR_STATUS)[ErrorCode] {
    return ERROR_STATUS[this.code];
  }
}

export interface ErrorEnvelope {
  error: string;
  code: ErrorCode;
  details: unknown;
  timestamp: string;
  request_id: string;
}

export function errorEnvelope(error: ApiError, requestId: string): ErrorEnvelope {
  return {
    error: error.message,
    code: error.code,
    details: error.details,
    timestamp: new Date().toISOString(),
    request_id: requestId,
  };
}
