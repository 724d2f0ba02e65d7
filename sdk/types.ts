// Request and response shapes of the license service. Requests are derived from the zod schemas
// the service checks them with, and answers are the service's own types, so the SDK cannot drift
// from what the service sends; only answers assembled in route handlers are written out here.
// Every import from src/ is type-only: it is erased at runtime, so the SDK carries none of the
// Worker's runtime dependencies.

import type { JSONWebKeySet } from "jose";
import type { z } from "zod";
import type { createCredentialSchema, createTenantSchema } from "../src/credentials/schemas.ts";
import type { Credential } from "../src/credentials/store.ts";
import type { VaultKeyType } from "../src/crypto/verify.ts";
import type { ErrorCode, ErrorEnvelope } from "../src/errors.ts";
import type { KeyVersionView, KeyView } from "../src/keys/management.ts";
import type { BatchItemResult, SignedLicense } from "../src/licenses/issuing.ts";
import type { LicenseView, ListPage } from "../src/licenses/lifecycle.ts";
import type {
  issueRequestSchema,
  License,
  LicenseStatus,
  renewRequestSchema,
  revokeRequestSchema,
  ValidationCode as SchemaValidationCode,
  ValidationResult as SchemaValidationResult,
} from "../src/licenses/schemas.ts";
import type { HistoryEntry, LicenseEvent } from "../src/licenses/store.ts";
import type { Tenant } from "../src/tenants/store.ts";

export type {
  BatchItemResult,
  Credential,
  ErrorCode,
  ErrorEnvelope,
  HistoryEntry,
  JSONWebKeySet,
  License,
  LicenseEvent,
  LicenseStatus,
  LicenseView,
  ListPage,
  Tenant,
};

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

/** `license_token` is the same license as a compact JWS, for `verifyLicenseToken` and `validate`. */
export interface IssueResponse extends SignedLicense {
  success: true;
}

export interface BatchIssueResponse {
  /** False when any item failed; the others were issued all the same. */
  success: boolean;
  issued: number;
  failed: number;
  results: BatchItemResult[];
}

export interface LicenseChange extends LicenseView {
  success: true;
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

/** The Transit key types the service can sign with. */
export type SigningKeyType = VaultKeyType;

/** One version of a signing key; `kid` is what tokens signed with it carry, e.g. `licensing:v2`. */
export type SigningKeyVersion = KeyVersionView;

/** The service reports only key types it can sign with, so `type` is narrower than its string. */
export interface SigningKey extends Omit<KeyView, "type"> {
  type: SigningKeyType;
}

export interface SigningKeyResponse {
  success?: boolean;
  key: SigningKey;
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

export interface CreatedTenant {
  success: true;
  tenant: Tenant;
}
