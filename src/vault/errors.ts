/** What went wrong when talking to Vault, in the terms a caller can act on. */
export type VaultErrorKind =
  | "permission_denied"
  | "not_found"
  | "bad_request"
  | "rate_limited"
  | "sealed"
  | "unavailable"
  | "timeout"
  | "unreachable"
  | "invalid_response";

const RETRYABLE: ReadonlySet<VaultErrorKind> = new Set([
  "rate_limited",
  "sealed",
  "unavailable",
  "timeout",
  "unreachable",
]);

export class VaultError extends Error {
  readonly kind: VaultErrorKind;
  /** HTTP status Vault answered with; undefined when no answer came. */
  readonly status: number | undefined;
  /** The `errors` array of Vault's response body, as Vault wrote it. */
  readonly errors: string[];
  /** Seconds after which a retry may succeed, when retrying makes sense at all. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    kind: VaultErrorKind,
    message: string,
    options: {
      status?: number;
      errors?: string[];
      retryAfterSeconds?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "VaultError";
    this.kind = kind;
    this.status = options.status;
    this.errors = options.errors ?? [];
    this.retryAfterSeconds = RETRYABLE.has(kind) ? (options.retryAfterSeconds ?? 5) : undefined;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

/** Maps an unsuccessful Vault response to a typed error. */
export function vaultErrorFromResponse(
  status: number,
  errors: string[],
  retryAfterHeader: string | null,
): VaultError {
  const detail = errors.length > 0 ? errors.join("; ") : `HTTP ${status}`;
  const retryAfter = parseRetryAfter(retryAfterHeader);
  const options = {
    status,
    errors,
    ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
  };
  if (status === 503 && errors.some((e) => /sealed/i.test(e))) {
    return new VaultError("sealed", "Vault is sealed", options);
  }
  if (status === 403) {
    return new VaultError("permission_denied", `Vault denied the request: ${detail}`, options);
  }
  if (status === 404) {
    return new VaultError("not_found", `Vault has no such path or key: ${detail}`, options);
  }
  if (status === 429) {
    return new VaultError("rate_limited", `Vault is rate limiting: ${detail}`, options);
  }
  if (status >= 500) {
    return new VaultError("unavailable", `Vault is unavailable: ${detail}`, options);
  }
  return new VaultError("bad_request", `Vault rejected the request: ${detail}`, options);
}

function parseRetryAfter(header: string | null): number | undefined {
  if (header === null) {
    return undefined;
  }
  const seconds = Number.parseInt(header, 10);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}
