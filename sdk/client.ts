// The online client: one method per route of the service, typed from its schemas, with the
// retry rules a license service needs (never issue twice, never hammer a limited caller).

import { ERROR_STATUS } from "../src/errors.ts";
import { LicenseApiError, LicenseNetworkError } from "./errors.ts";
import type {
  BatchIssueResponse,
  CreateCredentialRequest,
  CreatedCredential,
  CreatedTenant,
  CreateTenantRequest,
  Credential,
  ErrorCode,
  FetchLike,
  HealthReport,
  IssueRequest,
  IssueResponse,
  JSONWebKeySet,
  LicenseChange,
  LicenseDetails,
  LicenseView,
  ListPage,
  ListQuery,
  RenewRequest,
  RevokedCredential,
  SigningKeyResponse,
  SigningKeyType,
  Tenant,
  ValidationResult,
} from "./types.ts";

export interface RetryEvent {
  /** The attempt that failed, from 1. */
  attempt: number;
  /** How long the client waits before the next attempt. */
  delayMs: number;
  error: LicenseApiError | LicenseNetworkError;
  method: string;
  path: string;
}

export interface LicenseClientOptions {
  /** The service, e.g. `https://licenses.example.com`; a path prefix is kept. */
  baseUrl: string | URL;
  /** Sent as `Authorization: Bearer <apiKey>`: an API key or a JWT. */
  apiKey?: string;
  /** Defaults to globalThis.fetch. */
  fetch?: FetchLike;
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** Ceiling of the first backoff; doubles with each retry (default 250 ms). */
  retryBaseMs?: number;
  /** Cap on any wait, `Retry-After` included (default 30 s). */
  maxRetryDelayMs?: number;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Sent as User-Agent. Browsers ignore it or refuse it in CORS, so leave it out there. */
  userAgent?: string;
  /** Called before each wait, e.g. to log retries. */
  onRetry?: (event: RetryEvent) => void;
  /** How the client waits between attempts; tests pass a fake clock. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Send back the newest `X-D1-Bookmark` the service returned (default true), so reads that a
   * replica answers still see this client's own writes: a revocation, then a validation.
   */
  readYourWrites?: boolean;
}

export interface IdempotencyOptions {
  /**
   * Sent as `Idempotency-Key`. A fresh one is made per call when left out, and reused by the
   * client's own retries; pass your own to make repeating a whole call (after a crash) safe.
   */
  idempotencyKey?: string;
}

export interface IssueOptions extends IdempotencyOptions {
  /** Sign with this key version instead of the latest. */
  keyVersion?: number;
}

export interface TenantOption {
  /** Act on another tenant (operators: admins of the default tenant). */
  tenantId?: string;
}

export interface KeysApi {
  create(type: SigningKeyType, options?: TenantOption): Promise<SigningKeyResponse>;
  show(options?: TenantOption): Promise<SigningKeyResponse>;
  rotate(options?: TenantOption): Promise<SigningKeyResponse>;
  setMinVersion(minVersion: number, options?: TenantOption): Promise<SigningKeyResponse>;
}

export interface CredentialsApi {
  create(request: CreateCredentialRequest): Promise<CreatedCredential>;
  list(tenantId?: string): Promise<{ credentials: Credential[] }>;
  revoke(keyId: string, tenantId?: string): Promise<RevokedCredential>;
}

export interface TenantsApi {
  create(request: CreateTenantRequest): Promise<CreatedTenant>;
  list(): Promise<{ tenants: Tenant[] }>;
}

type Query = Record<string, string | number | undefined>;

type Attempt =
  | { ok: true; value: unknown }
  | { ok: false; error: LicenseApiError | LicenseNetworkError };

interface Call {
  method: "GET" | "POST" | "DELETE";
  path: string;
  query?: Query;
  body?: unknown;
  idempotencyKey?: string;
  /**
   * Whether sending the request twice is harmless. Only such requests are retried after a
   * network failure or a 503, since the first attempt may have done its work: rotating a key
   * or creating a credential twice is not harmless. 429 is always retried: nothing was done.
   */
  repeatable: boolean;
  /** Non-2xx statuses whose body is the answer rather than an error. */
  answerStatuses?: readonly number[];
}

// The service's rule for Idempotency-Key values.
const IDEMPOTENCY_KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_STATUS, value);
}

/** `Retry-After` as seconds: a number of seconds or an HTTP date. */
function retryAfterSeconds(header: string | null, now: number): number | null {
  if (header === null) {
    return null;
  }
  const text = header.trim();
  if (/^[0-9]+$/.test(text)) {
    return Number(text);
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1_000));
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative number, got ${value}`);
  }
  return value;
}

function idempotencyKeyOf(options: IdempotencyOptions): string {
  const key = options.idempotencyKey ?? crypto.randomUUID();
  if (!IDEMPOTENCY_KEY_FORMAT.test(key)) {
    throw new TypeError("idempotencyKey must be 1-255 visible ASCII characters");
  }
  return key;
}

/** Drops undefined members: the service's request schemas are strict about fields. */
function defined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** A client of the license service. Safe to share: it keeps no per-call state. */
export class LicenseClient {
  readonly #baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: FetchLike;
  readonly #maxRetries: number;
  readonly #retryBaseMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #timeoutMs: number;
  readonly #userAgent: string | undefined;
  readonly #onRetry: ((event: RetryEvent) => void) | undefined;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #readYourWrites: boolean;
  #bookmark: string | undefined;

  /** Signing keys (admin). */
  readonly keys: KeysApi;
  /** API keys (admin). */
  readonly credentials: CredentialsApi;
  /** Tenants (admins of the default tenant create them). */
  readonly tenants: TenantsApi;

  constructor(options: LicenseClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`baseUrl is not a URL: ${String(options.baseUrl)}`);
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
      throw new TypeError(`baseUrl must be an http(s) URL without query or fragment: ${url}`);
    }
    this.#baseUrl = url.href.replace(/\/+$/, "");
    this.#apiKey = options.apiKey === "" ? undefined : options.apiKey;
    // Called without a receiver: a native fetch called as a method of this object would throw.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const maxRetries = options.maxRetries ?? 3;
    if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) {
      throw new TypeError(`maxRetries must be a non-negative integer, got ${maxRetries}`);
    }
    this.#maxRetries = maxRetries;
    this.#retryBaseMs = nonNegative(options.retryBaseMs ?? 250, "retryBaseMs");
    this.#maxRetryDelayMs = nonNegative(options.maxRetryDelayMs ?? 30_000, "maxRetryDelayMs");
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new TypeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
    }
    this.#timeoutMs = timeoutMs;
    this.#userAgent = options.userAgent;
    this.#onRetry = options.onRetry;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#readYourWrites = options.readYourWrites ?? true;

    const tenantQuery = (options: TenantOption = {}): Query => ({ tenant_id: options.tenantId });
    this.keys = {
      create: (type, options) =>
        this.#request({
          method: "POST",
          path: "/keys",
          query: tenantQuery(options),
          body: { type },
          repeatable: false,
        }),
      show: (options) =>
        this.#request({
          method: "GET",
          path: "/keys",
          query: tenantQuery(options),
          repeatable: true,
        }),
      rotate: (options) =>
        this.#request({
          method: "POST",
          path: "/keys/rotate",
          query: tenantQuery(options),
          body: {},
          repeatable: false,
        }),
      setMinVersion: (minVersion, options) =>
        this.#request({
          method: "POST",
          path: "/keys/min-version",
          query: tenantQuery(options),
          body: { min_version: minVersion },
          repeatable: false,
        }),
    };
    this.credentials = {
      create: (request) =>
        this.#request({ method: "POST", path: "/credentials", body: request, repeatable: false }),
      list: (tenantId) =>
        this.#request({
          method: "GET",
          path: "/credentials",
          query: { tenant_id: tenantId },
          repeatable: true,
        }),
      revoke: (keyId, tenantId) =>
        this.#request({
          method: "DELETE",
          path: `/credentials/${encodeURIComponent(keyId)}`,
          query: { tenant_id: tenantId },
          repeatable: false,
        }),
    };
    this.tenants = {
      create: (request) =>
        this.#request({ method: "POST", path: "/tenants", body: request, repeatable: false }),
      list: () => this.#request({ method: "GET", path: "/tenants", repeatable: true }),
    };
  }

  /** The service's report; a degraded service (HTTP 503) is an answer, not an error. */
  health(): Promise<HealthReport> {
    return this.#request({
      method: "GET",
      path: "/health",
      repeatable: true,
      answerStatuses: [503],
    });
  }

  /** The OpenAPI 3.1 document. */
  openapi(): Promise<Record<string, unknown>> {
    return this.#request({ method: "GET", path: "/openapi.json", repeatable: true });
  }

  issue(request: IssueRequest, options: IssueOptions = {}): Promise<IssueResponse> {
    const body =
      options.keyVersion === undefined ? request : { ...request, key_version: options.keyVersion };
    return this.#request({
      method: "POST",
      path: "/license/issue",
      body,
      idempotencyKey: idempotencyKeyOf(options),
      repeatable: true,
    });
  }

  /** Items that fail their own checks are reported in `results`, not thrown. */
  batchIssue(
    licenses: readonly IssueRequest[],
    options: IdempotencyOptions = {},
  ): Promise<BatchIssueResponse> {
    return this.#request({
      method: "POST",
      path: "/license/batch/issue",
      body: { licenses },
      idempotencyKey: idempotencyKeyOf(options),
      repeatable: true,
    });
  }

  renew(request: RenewRequest, options: IdempotencyOptions = {}): Promise<IssueResponse> {
    return this.#request({
      method: "POST",
      path: "/license/renew",
      body: request,
      idempotencyKey: idempotencyKeyOf(options),
      repeatable: true,
    });
  }

  /**
   * Asks the service whether a license holds: its signature, dates, revocation, suspension,
   * supersession and, with `module`, that module. An invalid license is an answer with
   * `valid: false`, not an error.
   */
  validate(
    license: Record<string, unknown> | string,
    options: { module?: string } = {},
  ): Promise<ValidationResult> {
    return this.#request({
      method: "POST",
      path: "/license/validate",
      body: defined({ license, module: options.module }),
      repeatable: true,
    });
  }

  /** Revokes for good; a future `effectiveDate` schedules it. */
  revoke(
    licenseId: string,
    reason: string,
    options: { effectiveDate?: string } = {},
  ): Promise<LicenseChange> {
    return this.#request({
      method: "POST",
      path: "/license/revoke",
      body: defined({ license_id: licenseId, reason, effective_date: options.effectiveDate }),
      repeatable: false,
    });
  }

  suspend(licenseId: string, reason?: string): Promise<LicenseChange> {
    return this.#stateChange("suspend", licenseId, reason);
  }

  reinstate(licenseId: string, reason?: string): Promise<LicenseChange> {
    return this.#stateChange("reinstate", licenseId, reason);
  }

  /** One page of licenses, newest first. */
  list(query: ListQuery = {}): Promise<ListPage> {
    return this.#request({
      method: "GET",
      path: "/license/list",
      query: {
        customer: query.customer,
        status: query.status,
        page: query.page,
        limit: query.limit,
        cursor: query.cursor,
      },
      repeatable: true,
    });
  }

  /** Every license matching `query`, newest first, fetched page by page with cursors. */
  async *listAll(query: ListQuery = {}): AsyncGenerator<LicenseView, void, undefined> {
    // Later pages are reached by cursor alone, which stays stable while licenses are issued.
    const { page: _page, cursor: _cursor, ...filter } = query;
    let page = await this.list(query);
    while (true) {
      yield* page.licenses;
      if (!page.has_more || page.next_cursor === null) {
        return;
      }
      page = await this.list({ ...filter, cursor: page.next_cursor });
    }
  }

  /** One license with its status and history. */
  get(licenseId: string): Promise<LicenseDetails> {
    return this.#request({
      method: "GET",
      path: `/license/${encodeURIComponent(licenseId)}`,
      repeatable: true,
    });
  }

  /** The public keys that verify license tokens, as a JWK set. */
  jwks(tenant?: string): Promise<JSONWebKeySet> {
    return this.#request({
      method: "GET",
      path: "/.well-known/jwks.json",
      query: { tenant },
      repeatable: true,
    });
  }

  /** Where the service publishes its JWK set, for `verifyLicenseToken`'s `jwks` option. */
  jwksUrl(tenant?: string): string {
    return this.#url("/.well-known/jwks.json", { tenant });
  }

  #stateChange(
    action: "suspend" | "reinstate",
    licenseId: string,
    reason: string | undefined,
  ): Promise<LicenseChange> {
    return this.#request({
      method: "POST",
      path: `/license/${action}`,
      body: defined({ license_id: licenseId, reason }),
      repeatable: false,
    });
  }

  #url(path: string, query: Query = {}): string {
    const url = new URL(`${this.#baseUrl}${path}`);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) {
        url.searchParams.set(name, String(value));
      }
    }
    return url.href;
  }

  #headers(call: Call): Record<string, string> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.#apiKey !== undefined) {
      headers.Authorization = `Bearer ${this.#apiKey}`;
    }
    if (call.body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    if (call.idempotencyKey !== undefined) {
      headers["Idempotency-Key"] = call.idempotencyKey;
    }
    if (this.#userAgent !== undefined) {
      headers["User-Agent"] = this.#userAgent;
    }
    if (this.#readYourWrites && this.#bookmark !== undefined) {
      headers["X-D1-Bookmark"] = this.#bookmark;
    }
    return headers;
  }

  async #request<T>(call: Call): Promise<T> {
    const url = this.#url(call.path, call.query);
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    for (let attempt = 1; ; attempt++) {
      const result = await this.#attempt(call, url, body);
      if (result.ok) {
        // The service's schemas and tests define these shapes; the SDK does not re-check them.
        return result.value as T;
      }
      const { error } = result;
      if (attempt > this.#maxRetries || !this.#retryable(call, error)) {
        throw error;
      }
      const delayMs = this.#delayMs(attempt, error);
      this.#onRetry?.({ attempt, delayMs, error, method: call.method, path: call.path });
      await this.#sleep(delayMs);
    }
  }

  /** One attempt: the parsed answer, or the error it amounts to, which may be retried. */
  async #attempt(call: Call, url: string, body: string | undefined): Promise<Attempt> {
    const fetchImpl = this.#fetch;
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(url, {
        method: call.method,
        headers: this.#headers(call),
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && error.name === "TimeoutError";
      const reason = timedOut
        ? `no answer within ${this.#timeoutMs} ms`
        : error instanceof Error
          ? error.message
          : String(error);
      const failure = new LicenseNetworkError(`${call.method} ${call.path} failed: ${reason}`, {
        timedOut,
        method: call.method,
        path: call.path,
        cause: error,
      });
      return { ok: false, error: failure };
    }

    const bookmark = response.headers.get("X-D1-Bookmark");
    if (bookmark !== null && bookmark !== "") {
      this.#bookmark = bookmark;
    }

    let parsed: unknown = text;
    let json = false;
    try {
      parsed = JSON.parse(text);
      json = true;
    } catch {
      // Kept as text for the error: typically a proxy's HTML page.
    }
    const answered =
      (response.status >= 200 && response.status < 300) ||
      (call.answerStatuses?.includes(response.status) ?? false);
    if (answered && json) {
      return { ok: true, value: parsed };
    }

    const envelope = isRecord(parsed) ? parsed : {};
    const code = isErrorCode(envelope.code) ? envelope.code : null;
    const description =
      typeof envelope.error === "string"
        ? envelope.error
        : json
          ? "an answer that is not the service's error envelope"
          : "a body that is not JSON";
    const requestId =
      typeof envelope.request_id === "string"
        ? envelope.request_id
        : response.headers.get("X-Request-Id");
    const error = new LicenseApiError(
      `${call.method} ${call.path} answered HTTP ${response.status}` +
        `${code === null ? "" : ` ${code}`}: ${description}`,
      {
        status: response.status,
        code,
        requestId,
        details: envelope.details ?? null,
        retryAfterSeconds: retryAfterSeconds(response.headers.get("Retry-After"), Date.now()),
        body: parsed,
        method: call.method,
        path: call.path,
      },
    );
    return { ok: false, error };
  }

  #retryable(call: Call, error: LicenseApiError | LicenseNetworkError): boolean {
    if (error instanceof LicenseNetworkError) {
      return call.repeatable;
    }
    if (error.status === 429) {
      return true;
    }
    if (error.status === 503) {
      return call.repeatable;
    }
    // The service's answer to a retry that overtook the first attempt, still running under the
    // same Idempotency-Key: waiting gets the first attempt's answer instead of a false error.
    return (
      error.status === 409 && call.idempotencyKey !== undefined && error.retryAfterSeconds !== null
    );
  }

  #delayMs(attempt: number, error: LicenseApiError | LicenseNetworkError): number {
    const retryAfter = error instanceof LicenseApiError ? error.retryAfterSeconds : null;
    if (retryAfter !== null) {
      return Math.min(retryAfter * 1_000, this.#maxRetryDelayMs);
    }
    // Full jitter: clients that failed together do not come back together.
    const ceiling = Math.min(this.#maxRetryDelayMs, this.#retryBaseMs * 2 ** (attempt - 1));
    return Math.floor(Math.random() * ceiling);
  }
}
