import { z } from "zod";

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
    LICENSE_STATE_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
    BATCH_ISSUE_MAX: z.coerce.number().int().min(1).max(1_000).default(100),
    LIST_LIMIT_MAX: z.coerce.number().int().min(1).max(1_000).default(100),
    RATE_LIMIT_ISSUE: z.coerce.number().int().min(1).default(300),
    RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  })
  .refine(
    (s) => (s.CF_ACCESS_CLIENT_ID === undefined) === (s.CF_ACCESS_CLIENT_SECRET === undefined),
    {
      message: "CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET must be set together",
      path: ["CF_ACCESS_CLIENT_SECRET"],
    },
  );

export type Settings = z.output<typeof settingsSchema>;

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
  issuer: string;
  validationRequiresApiKey: boolean;
  licenseStateCacheMs: number;
  batchIssueMax: number;
  listLimitMax: number;
  /** Requests that sign or change licenses, per API key and window. */
  issueRateLimit: { limit: number; windowSeconds: number };
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
    issuer: s.LICENSE_ISSUER,
    validationRequiresApiKey: s.VALIDATION_REQUIRES_API_KEY,
    licenseStateCacheMs: s.LICENSE_STATE_CACHE_SECONDS * 1_000,
    batchIssueMax: s.BATCH_ISSUE_MAX,
    listLimitMax: s.LIST_LIMIT_MAX,
    issueRateLimit: { limit: s.RATE_LIMIT_ISSUE, windowSeconds: s.RATE_LIMIT_WINDOW_SECONDS },
  };
  parsed.set(env, config);
  return config;
}

function isFetcher(value: unknown): value is Fetcher {
  return typeof value === "object" && value !== null && "fetch" in value;
}
