import { z } from "zod";
import { ROLES, type Role } from "./auth/principal.ts";

const booleanFlag = z
  .enum(["true", "false", "1", "0", ""])
  .default("false")
  .transform((value) => value === "true" || value === "1");

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

const mountPath = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "must be a Vault mount path such as transit");

const settingsSchema = z
  .object({
    VAULT_ADDR: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://vault.example" })
      .transform((value) => value.replace(/\/+$/, "")),
    VAULT_TOKEN: z.string({ error: "is required (a secret)" }).min(1, "is required (a secret)"),
    VAULT_NAMESPACE: optionalText,
    TRANSIT_MOUNT: mountPath.default("transit"),
    TRANSIT_KEY: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, "must be a Transit key name")
      .default("licensing"),
    VAULT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    CF_ACCESS_CLIENT_ID: optionalText,
    CF_ACCESS_CLIENT_SECRET: optionalText,
    ADMIN_API_KEY: z
      .string({ error: "is required (a secret): the first admin API key" })
      .min(32, "must be at least 32 characters"),
    LICENSE_ISSUER: z.string().min(1).max(200).default("edge-license-authority"),
    VALIDATION_REQUIRES_API_KEY: booleanFlag,
    VERIFY_AT: z.enum(["edge", "vault"]).default("edge"),
    LICENSE_STATE_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
    BATCH_ISSUE_MAX: z.coerce.number().int().min(1).max(1_000).default(100),
    LIST_LIMIT_MAX: z.coerce.number().int().min(1).max(1_000).default(100),
    AUDIT_HMAC_KEY: optionalText.refine(
      (value) => value === undefined || value.length >= 32,
      "must be at least 32 characters",
    ),
    AUDIT_CHECKPOINT_MINUTES: z.coerce.number().int().min(1).max(10_080).default(60),
    JWT_SECRET: optionalText.refine(
      (value) => value === undefined || value.length >= 32,
      "must be at least 32 characters",
    ),
    JWT_JWKS_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
    JWT_ISSUER: optionalText,
    JWT_AUDIENCE: optionalText,
    JWT_ALGORITHMS: optionalText,
    JWT_ROLE_CLAIM: z.string().min(1).default("role"),
    JWT_TENANT_CLAIM: z.string().min(1).default("tenant"),
    ACCESS_TEAM_DOMAIN: optionalText,
    ACCESS_AUD: optionalText,
    ACCESS_ROLE: z.enum(ROLES).default("reader"),
    ACCESS_TENANT: z.string().min(1).default("default"),
    IDEMPOTENCY_TTL_HOURS: z.coerce.number().min(1).max(720).default(24),
    MAX_BODY_BYTES: z.coerce.number().int().min(1_024).max(10_485_760).default(1_048_576),
    CORS_VALIDATE_ORIGINS: optionalText,
    CORS_ADMIN_ORIGINS: optionalText,
    RATE_LIMIT_VALIDATE: z.coerce.number().int().min(1).default(1_200),
    RATE_LIMIT_READ: z.coerce.number().int().min(1).default(600),
    RATE_LIMIT_CREDENTIALS: z.coerce.number().int().min(1).default(60),
    RATE_LIMIT_ISSUE: z.coerce.number().int().min(1).default(300),
    RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    WEBHOOK_EXPIRING_DAYS: z.coerce.number().int().min(1).max(365).default(14),
    WEBHOOK_RETRY_BASE_SECONDS: z.coerce.number().int().min(0).max(3_600).default(30),
    WEBHOOK_ALLOW_LOCAL_HTTP: booleanFlag,
  })
  .refine(
    (s) => (s.CF_ACCESS_CLIENT_ID === undefined) === (s.CF_ACCESS_CLIENT_SECRET === undefined),
    {
      message: "CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET must be set together",
      path: ["CF_ACCESS_CLIENT_SECRET"],
    },
  );

export type Settings = z.output<typeof settingsSchema>;

export type RateLimitGroup = "validate" | "read" | "issue" | "credentials";

export interface Config {
  vault: {
    addr: string;
    token: string;
    namespace: string | undefined;
    mount: string;
    keyName: string;
    timeoutMs: number;
    access: { clientId: string; clientSecret: string } | undefined;
    /** The mTLS certificate binding, when Vault is reached through one. */
    fetcher: Fetcher | undefined;
  };
  adminApiKey: string;
  /** Authenticates audit entries until they are sealed; derived from ADMIN_API_KEY if unset. */
  auditMacSecret: string;
  auditCheckpointMs: number;
  issuer: string;
  validationRequiresApiKey: boolean;
  /** Where signatures are checked: in the Worker (the point of this service) or by Vault. */
  verifyAt: "edge" | "vault";
  licenseStateCacheMs: number;
  batchIssueMax: number;
  listLimitMax: number;
  /** Bearer JWTs: HS256 with a shared secret and/or asymmetric tokens from a JWKS. */
  jwt:
    | {
        secret: string | undefined;
        jwksUrl: string | undefined;
        issuer: string | undefined;
        audience: string;
        algorithms: string[];
        roleClaim: string;
        tenantClaim: string;
      }
    | undefined;
  /** Cloudflare Access: the team's domain and the application's AUD tag. */
  access: { teamDomain: string; audience: string; role: Role; tenantId: string } | undefined;
  idempotencyTtlMs: number;
  maxBodyBytes: number;
  /** Origins allowed to call each group of routes from a browser; empty means none. */
  cors: { validate: string[]; admin: string[] };
  /** Requests per window, per credential (or per client IP without one), for each group. */
  rateLimits: Record<RateLimitGroup, number> & { windowSeconds: number };
  webhooks: {
    /** license.expiring is sent this many days before a license expires. */
    expiringDays: number;
    /** First retry delay of a failed delivery; each further attempt doubles it (max 1 h). */
    retryBaseSeconds: number;
    /** Accept http:// endpoints on localhost / 127.0.0.1, for local development only. */
    allowLocalHttp: boolean;
  };
}

export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

const parsed = new WeakMap<object, Config>();

/** Reads and checks the Worker's settings; the result is kept per `env` object. */
export function loadConfig(env: Env): Config {
  const cached = parsed.get(env);
  if (cached) {
    return cached;
  }

  const result = settingsSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join(".") || "settings"} ${issue.message}`),
    );
  }
  const s = result.data;
  const mtls: unknown = (env as unknown as Record<string, unknown>).VAULT_MTLS;
  const config: Config = {
    vault: {
      addr: s.VAULT_ADDR,
      token: s.VAULT_TOKEN,
      namespace: s.VAULT_NAMESPACE,
      mount: s.TRANSIT_MOUNT,
      keyName: s.TRANSIT_KEY,
      timeoutMs: s.VAULT_TIMEOUT_MS,
      access:
        s.CF_ACCESS_CLIENT_ID && s.CF_ACCESS_CLIENT_SECRET
          ? { clientId: s.CF_ACCESS_CLIENT_ID, clientSecret: s.CF_ACCESS_CLIENT_SECRET }
          : undefined,
      fetcher: isFetcher(mtls) ? mtls : undefined,
    },
    adminApiKey: s.ADMIN_API_KEY,
    auditMacSecret: s.AUDIT_HMAC_KEY ?? `audit-entries:${s.ADMIN_API_KEY}`,
    auditCheckpointMs: s.AUDIT_CHECKPOINT_MINUTES * 60_000,
    issuer: s.LICENSE_ISSUER,
    validationRequiresApiKey: s.VALIDATION_REQUIRES_API_KEY,
    verifyAt: s.VERIFY_AT,
    licenseStateCacheMs: s.LICENSE_STATE_CACHE_SECONDS * 1_000,
    batchIssueMax: s.BATCH_ISSUE_MAX,
    listLimitMax: s.LIST_LIMIT_MAX,
    jwt:
      s.JWT_AUDIENCE && (s.JWT_SECRET || s.JWT_JWKS_URL)
        ? {
            secret: s.JWT_SECRET,
            jwksUrl: s.JWT_JWKS_URL,
            issuer: s.JWT_ISSUER,
            audience: s.JWT_AUDIENCE,
            algorithms: jwtAlgorithms(
              s.JWT_ALGORITHMS,
              Boolean(s.JWT_SECRET),
              Boolean(s.JWT_JWKS_URL),
            ),
            roleClaim: s.JWT_ROLE_CLAIM,
            tenantClaim: s.JWT_TENANT_CLAIM,
          }
        : undefined,
    access:
      s.ACCESS_TEAM_DOMAIN && s.ACCESS_AUD
        ? {
            teamDomain: s.ACCESS_TEAM_DOMAIN,
            audience: s.ACCESS_AUD,
            role: s.ACCESS_ROLE,
            tenantId: s.ACCESS_TENANT,
          }
        : undefined,
    idempotencyTtlMs: s.IDEMPOTENCY_TTL_HOURS * 3_600_000,
    maxBodyBytes: s.MAX_BODY_BYTES,
    cors: { validate: origins(s.CORS_VALIDATE_ORIGINS), admin: origins(s.CORS_ADMIN_ORIGINS) },
    rateLimits: {
      validate: s.RATE_LIMIT_VALIDATE,
      read: s.RATE_LIMIT_READ,
      issue: s.RATE_LIMIT_ISSUE,
      credentials: s.RATE_LIMIT_CREDENTIALS,
      windowSeconds: s.RATE_LIMIT_WINDOW_SECONDS,
    },
    webhooks: {
      expiringDays: s.WEBHOOK_EXPIRING_DAYS,
      retryBaseSeconds: s.WEBHOOK_RETRY_BASE_SECONDS,
      allowLocalHttp: s.WEBHOOK_ALLOW_LOCAL_HTTP,
    },
  };
  parsed.set(env, config);
  return config;
}

/** The JWT algorithms allowed: as configured, or what the configured key sources can check. */
function jwtAlgorithms(configured: string | undefined, hmac: boolean, jwks: boolean): string[] {
  if (configured) {
    return configured
      .split(",")
      .map((a) => a.trim())
      .filter((a) => a !== "" && a !== "none");
  }
  return [...(hmac ? ["HS256"] : []), ...(jwks ? ["RS256", "PS256", "ES256", "EdDSA"] : [])];
}

function origins(list: string | undefined): string[] {
  return (list ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
}

function isFetcher(value: unknown): value is Fetcher {
  return typeof value === "object" && value !== null && "fetch" in value;
}
