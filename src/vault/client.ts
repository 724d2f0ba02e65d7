import { encodeBase64 } from "../crypto/encoding.ts";
import { VaultError, vaultErrorFromResponse } from "./errors.ts";

/** How requests reach Vault: the global fetch, or an mTLS certificate binding. */
export type VaultFetch = (request: Request) => Promise<Response>;

export interface VaultClientOptions {
  addr: string;
  token: string;
  namespace?: string | undefined;
  mount: string;
  timeoutMs: number;
  /** Cloudflare Access service token, sent when Vault sits behind an Access tunnel. */
  access?: { clientId: string; clientSecret: string } | undefined;
  fetch?: VaultFetch | undefined;
  /** Told of every request: which operation, how long it took, and whether Vault answered. */
  observe?: ((operation: string, ms: number, answered: boolean) => void) | undefined;
}

/** Parameters of Transit's sign endpoint, named as Vault names them. */
export interface SignParams {
  key_version?: number;
  hash_algorithm?: string;
  signature_algorithm?: "pss" | "pkcs1v15";
  marshaling_algorithm?: "asn1" | "jws";
  salt_length?: "auto" | "hash" | number;
}

export interface Signed {
  signature: string;
  keyVersion: number;
}

export type BatchSignResult = Signed | { error: string };

export interface TransitKeyVersion {
  version: number;
  publicKey: string;
  createdAt: string | undefined;
}

export interface TransitKey {
  name: string;
  type: string;
  latestVersion: number;
  minDecryptionVersion: number;
  minEncryptionVersion: number;
  supportsSigning: boolean;
  versions: TransitKeyVersion[];
}

export interface VaultHealth {
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
  performanceStandby: boolean;
  version: string | undefined;
}

/** Health answers Vault sends with a status other than 200 that still carry a health body. */
const HEALTH_STATUSES = new Set([200, 429, 472, 473, 501, 503]);

/** A client for the parts of Vault's HTTP API this service uses: Transit and sys/health. */
export class VaultClient {
  readonly #options: VaultClientOptions;
  readonly #fetch: VaultFetch;

  constructor(options: VaultClientOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? ((request) => fetch(request));
  }

  async sign(keyName: string, input: Uint8Array, params: SignParams = {}): Promise<Signed> {
    const data = await this.#call("POST", `${this.#transit("sign", keyName)}`, {
      ...params,
      input: encodeBase64(input),
    });
    return readSigned(data);
  }

  /** Signs many inputs in one round trip; each result is a signature or Vault's error for it. */
  async signBatch(
    keyName: string,
    inputs: Uint8Array[],
    params: SignParams = {},
  ): Promise<BatchSignResult[]> {
    const data = await this.#call("POST", this.#transit("sign", keyName), {
      ...params,
      batch_input: inputs.map((input) => ({ input: encodeBase64(input) })),
    });
    const results = data.batch_results;
    if (!Array.isArray(results) || results.length !== inputs.length) {
      throw new VaultError("invalid_response", "Vault returned a batch of the wrong size");
    }
    return results.map((item: unknown): BatchSignResult => {
      if (isRecord(item) && typeof item.error === "string" && item.error !== "") {
        return { error: item.error };
      }
      return readSigned(item);
    });
  }

  async readKey(keyName: string): Promise<TransitKey> {
    const data = await this.#call("GET", this.#transit("keys", keyName));
    const keys = isRecord(data.keys) ? data.keys : {};
    const versions: TransitKeyVersion[] = [];
    for (const [version, entry] of Object.entries(keys)) {
      if (isRecord(entry) && typeof entry.public_key === "string" && entry.public_key !== "") {
        versions.push({
          version: Number(version),
          publicKey: entry.public_key,
          createdAt: typeof entry.creation_time === "string" ? entry.creation_time : undefined,
        });
      }
    }
    versions.sort((a, b) => a.version - b.version);
    return {
      name: String(data.name ?? keyName),
      type: String(data.type ?? ""),
      latestVersion: Number(data.latest_version ?? 0),
      minDecryptionVersion: Number(data.min_decryption_version ?? 1),
      minEncryptionVersion: Number(data.min_encryption_version ?? 0),
      supportsSigning: data.supports_signing === true,
      versions,
    };
  }

  /** Creates a Transit key; Vault treats creating an existing key as success. */
  async createKey(keyName: string, type: string): Promise<void> {
    await this.#call("POST", this.#transit("keys", keyName), { type });
  }

  /** Asks Vault whether `signature` is valid for `input`: verification done by Vault itself. */
  async verify(
    keyName: string,
    input: Uint8Array,
    signature: string,
    params: SignParams = {},
  ): Promise<boolean> {
    const { key_version: _unused, ...options } = params;
    const data = await this.#call(
      "POST",
      `/v1/${this.#options.mount}/verify/${encodeURIComponent(keyName)}`,
      {
        ...options,
        input: encodeBase64(input),
        signature,
      },
    );
    return data.valid === true;
  }

  /** Adds a new version of a key; it becomes the latest at once. */
  async rotateKey(keyName: string): Promise<void> {
    await this.#call("POST", `${this.#transit("keys", keyName)}/rotate`, {});
  }

  /** Changes a key's settings, such as min_encryption_version. */
  async configureKey(keyName: string, settings: Record<string, unknown>): Promise<void> {
    await this.#call("POST", `${this.#transit("keys", keyName)}/config`, settings);
  }

  /** Reads sys/health; sealed, standby and uninitialized nodes are answers, not errors. */
  async health(): Promise<VaultHealth> {
    const response = await this.#send("GET", "/v1/sys/health", undefined);
    if (!HEALTH_STATUSES.has(response.status)) {
      throw vaultErrorFromResponse(response.status, await readErrors(response), null);
    }
    const body = await readJson(response);
    return {
      initialized: body.initialized === true,
      sealed: body.sealed === true,
      standby: body.standby === true,
      performanceStandby: body.performance_standby === true,
      version: typeof body.version === "string" ? body.version : undefined,
    };
  }

  #transit(action: "sign" | "keys", keyName: string): string {
    return `/v1/${this.#options.mount}/${action}/${encodeURIComponent(keyName)}`;
  }

  async #call(
    method: "GET" | "POST",
    path: string,
    body?: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const response = await this.#send(method, path, body);
    if (!response.ok) {
      throw vaultErrorFromResponse(
        response.status,
        await readErrors(response),
        response.headers.get("Retry-After"),
      );
    }
    if (response.status === 204) {
      return {};
    }
    const payload = await readJson(response);
    return isRecord(payload.data) ? payload.data : {};
  }

  async #send(method: string, path: string, body: unknown): Promise<Response> {
    const options = this.#options;
    const headers = new Headers({ "X-Vault-Token": options.token, Accept: "application/json" });
    if (options.namespace) {
      headers.set("X-Vault-Namespace", options.namespace);
    }
    if (options.access) {
      headers.set("CF-Access-Client-Id", options.access.clientId);
      headers.set("CF-Access-Client-Secret", options.access.clientSecret);
    }
    if (body !== undefined) {
      headers.set("Content-Type", "application/json");
    }
    const request = new Request(`${options.addr}${path}`, {
      method,
      headers,
      signal: AbortSignal.timeout(options.timeoutMs),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

    const operation = operationOf(path);
    const started = performance.now();
    let answered = false;
    try {
      const response = await this.#fetch(request);
      answered = true;
      return response;
    } catch (error) {
      if (
        error instanceof Error &&
        (error.name === "TimeoutError" || error.name === "AbortError")
      ) {
        throw new VaultError("timeout", `Vault did not answer within ${options.timeoutMs} ms`, {
          cause: error,
        });
      }
      throw new VaultError("unreachable", "Vault could not be reached", { cause: error });
    } finally {
      options.observe?.(operation, performance.now() - started, answered);
    }
  }
}

/** The kind of Vault call a path is, for metrics: sign, verify, read, rotate, config, health. */
function operationOf(path: string): string {
  for (const operation of ["rotate", "config", "sign", "verify", "health", "mounts"]) {
    if (path.includes(`/${operation}`)) {
      return operation;
    }
  }
  return path.includes("/keys/") ? "read_key" : "other";
}

function readSigned(item: unknown): Signed {
  if (!isRecord(item) || typeof item.signature !== "string") {
    throw new VaultError("invalid_response", "Vault returned no signature");
  }
  const match = /^vault:v(\d+):/.exec(item.signature);
  const keyVersion = Number(item.key_version ?? match?.[1]);
  if (!match || !Number.isInteger(keyVersion) || keyVersion < 1) {
    throw new VaultError("invalid_response", "Vault returned a signature in an unknown format");
  }
  return { signature: item.signature, keyVersion };
}

async function readJson(response: Response): Promise<Record<string, unknown>> {
  try {
    const body: unknown = await response.json();
    return isRecord(body) ? body : {};
  } catch (error) {
    throw new VaultError("invalid_response", "Vault answered with a body that is not JSON", {
      status: response.status,
      cause: error,
    });
  }
}

async function readErrors(response: Response): Promise<string[]> {
  const text = await response.text().catch(() => "");
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body) && Array.isArray(body.errors)) {
      return body.errors.map(String);
    }
  } catch {
    // A proxy in front of Vault (Access, a load balancer) may answer with HTML; keep it short.
  }
  return text ? [text.slice(0, 200)] : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
