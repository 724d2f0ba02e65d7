// Request and response shapes of the license service. Requests are derived from the zod schemas
// the service checks them with, so the SDK cannot drift from what the service accepts; answers
// without a schema are written out here.

import type { JSONWebKeySet } from "jose";
import type { z } from "zod";
import type { createCredentialSchema, createTenantSchema } from "../src/credentials/schemas.ts";
import type { ErrorCode } from "../src/errors.ts";
import type {
  issueRequestSchema,
  License,
  LicenseStatus,
  renewRequestSchema,
  revokeRequestSchema,
  ValidationCode as SchemaValidationCode,
  ValidationResult as SchemaValidationResult,
} from "../src/licenses/schemas.ts";

export type { ErrorCode, JSONWebKeySet, License, LicenseStatus };

/** A fetch implementation: globalThis.fetch, or a stand-in such as a Worker's own handler. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export type IssueRequest = z.input<typeof issueRequestSchema>;
export type RenewRequest = z.input<typeof renewRequestSchema>;
export type RevokeRequest = z.input<typeof revokeRequestSchema>;
export type CreateCredentialRequest = z.input<typeof createCredentialSchema>;
export type CreateTenantRequest = z.input<typeof createTenantSchema>;
export type Role = CreateCredentialRequest["role"];

/** Every answer code of validation, online and offline. */
export type ValidationCode = SchemaValidationCode | "KEY_VERSION_RETIRED";

export type ValidationResult = Omit<SchemaValidationResult, "code"> & { code: ValidationCode };

/** The error envelope every non-2xx answer of the service carries. */
export interface ErrorEnvelope {
  error: string;
  code: ErrorCode;
  details: unknown;
  timestamp: string;
  request_id: string;
}

export interface HealthReport {
  status: "ok" | "degraded";
  can_issue: boolean;
  can_validate: boolean;
  vault: {
    reachable: boolean;
    initialized: boolean | null;
    sealed: boolean | null;
    standby: boolean | null;
    performance_standby: boolean | null;
    version: string | null;
    error: string | null;
  };
  database: { reachable: boolean };
  api_version: string;
  uptime_seconds: number;
  timestamp: string;
}

export interface IssueResponse {
  success: true;
  license: License;
  /** The same license as a compact JWS, for `verifyLicenseToken` and for `validate`. */
  license_token: string;
}

export type BatchItemResult =
  | { index: number; success: true; license: License; license_token: string }
  | { index: number; success: false; code: string; error: string; details: unknown };

export interface BatchIssueResponse {
  /** False when any item failed; the others were issued all the same. */
  success: boolean;
  issued: number;
  failed: number;
  results: BatchItemResult[];
}

export interface LicenseView {
  license: License;
  status: LicenseStatus;
  revoked_at: string | null;
  revocation_reason: string | null;
  suspended_at: string | null;
  superseded_by: string | null;
}

export interface LicenseChange extends LicenseView {
  success: true;
}

export type LicenseEvent =
  | "issued"
  | "renewed"
  | "superseded"
  | "revoked"
  | "revocation_scheduled"
  | "suspended"
  | "reinstated";

export interface HistoryEntry {
  event: LicenseEvent;
  reason: string | null;
  actor: string;
  request_id: string;
  occurred_at: string;
  effective_at: string | null;
}

export interface LicenseDetails extends LicenseView {
  history: HistoryEntry[];
}

export interface ListQuery {
  customer?: string;
  status?: LicenseStatus;
  /** 1-based; ignored by the service when `cursor` is given. */
  page?: number;
  limit?: number;
  /** `next_cursor` of a previous page: stable while licenses are being issued. */
  cursor?: string;
}

export interface ListPage {
  licenses: LicenseView[];
  /** Null for pages reached by cursor. */
  page: number | null;
  limit: number;
  has_more: boolean;
  next_cursor: string | null;
}

/** The Transit key types the service can sign with. */
export type SigningKeyType =
  | "ed25519"
  | "ecdsa-p256"
  | "ecdsa-p384"
  | "ecdsa-p521"
  | "rsa-2048"
  | "rsa-3072"
  | "rsa-4096";

export interface SigningKeyVersion {
  version: number;
  /** The `kid` of tokens signed with this version, e.g. `licensing:v2`. */
  kid: string;
  public_key: string;
  created_at: string | null;
  /** Below the minimum version: licenses it signed report KEY_VERSION_RETIRED. */
  retired: boolean;
}

export interface SigningKey {
  name: string;
  type: SigningKeyType;
  latest_version: number;
  min_version: number;
  versions: SigningKeyVersion[];
}

export interface SigningKeyResponse {
  success?: boolean;
  key: SigningKey;
}

export interface Credential {
  key_id: string;
  tenant_id: string;
  name: string;
  role: Role;
  prefix: string | null;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface CreatedCredential {
  success: true;
  credential: Credential;
  /** The API key itself; the service keeps only its hash and never shows it again. */
  secret: string;
}

export interface RevokedCredential {
  success: true;
  credential: Credential;
}

export interface Tenant {
  tenant_id: string;
  name: string;
  /** Null when the tenant signs with the service's own key. */
  transit_key: string | null;
  vault_namespace: string | null;
  created_at: string;
}

export interface CreatedTenant {
  success: true;
  tenant: Tenant;
}
