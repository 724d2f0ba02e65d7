import { z } from "zod";
import { parseInstant, toTimestamp } from "./dates.ts";

const MAX_METADATA_BYTES = 16_384;

const licenseId = z
  .string()
  .regex(/^lic_[0-9a-z]{26}$/, "must be a license id such as lic_01j9z3k8x2m4n6p8r0t2v4x6z8");

const moduleName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, "must be letters, digits and . _ : / -");

const modules = z
  .array(moduleName)
  .max(200)
  .refine((list) => new Set(list).size === list.length, "must not repeat a module");

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.string(),
    z.number().refine(Number.isFinite, "must be a finite number"),
    z.boolean(),
    z.null(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);

const metadata = z
  .record(z.string().min(1).max(200), jsonValue)
  .refine(
    (value) => new TextEncoder().encode(JSON.stringify(value)).length <= MAX_METADATA_BYTES,
    `must be at most ${MAX_METADATA_BYTES} bytes of JSON`,
  );

/** A date (`2025-12-31`, meaning the end of that day, UTC) or an RFC 3339 timestamp. */
export const expiryInput = z.string().transform((value, ctx) => {
  const instant = parseInstant(value, true);
  if (instant === undefined) {
    ctx.addIssue({ code: "custom", message: "must be a date (YYYY-MM-DD) or RFC 3339 timestamp" });
    return z.NEVER;
  }
  return toTimestamp(instant);
});

/** A date (meaning the start of that day, UTC) or an RFC 3339 timestamp. */
export const startInput = z.string().transform((value, ctx) => {
  const instant = parseInstant(value, false);
  if (instant === undefined) {
    ctx.addIssue({ code: "custom", message: "must be a date (YYYY-MM-DD) or RFC 3339 timestamp" });
    return z.NEVER;
  }
  return toTimestamp(instant);
});

const timestamp = z.iso.datetime({ offset: false, precision: 3 });

export const customerSchema = z.string().trim().min(1).max(200);

const licenseFields = z.object({
  license_id: licenseId,
  customer: z.string().min(1).max(200),
  modules,
  issued_at: timestamp,
  expires_at: timestamp,
  not_before: timestamp.optional(),
  metadata,
  issuer: z.string().min(1).max(200),
  version: z.number().int().positive(),
  key_version: z.number().int().positive(),
  renewed_from: licenseId.optional(),
  signature: z.string().min(1).max(4_096),
});

/**
 * The signed license document, as issued and as applications send it back to be validated.
 * Unknown fields are let through here so that the signature check, not the parser, rejects them.
 */
export const licenseSchema = licenseFields.loose().meta({ id: "License" });

export type License = z.infer<typeof licenseFields>;

/** The fields a license may have; a signed one has no others. */
export const LICENSE_FIELDS: ReadonlySet<string> = new Set(Object.keys(licenseFields.shape));
export type UnsignedLicense = Omit<License, "signature">;

export const issueRequestSchema = z
  .object({
    customer: customerSchema,
    modules,
    expires_at: expiryInput,
    metadata: metadata.default({}),
    not_before: startInput.optional(),
    /** Sign with this key version instead of the latest, as Vault allows, for migrations. */
    key_version: z.number().int().positive().optional(),
  })
  .strict()
  .meta({ id: "IssueRequest" });

export type IssueRequest = z.output<typeof issueRequestSchema>;

export const batchIssueRequestSchema = z
  .object({ licenses: z.array(z.unknown()).min(1) })
  .strict()
  .meta({ id: "BatchIssueRequest" });

/** A license object, or the compact JWS token that carries the same license. */
const licenseOrToken = z.union([z.record(z.string(), z.unknown()), z.string().min(1).max(65_536)]);

export const validateRequestSchema = z
  .object({
    license: licenseOrToken.optional(),
    license_token: z.string().min(1).max(65_536).optional(),
    module: moduleName.optional(),
  })
  .strict()
  .refine((r) => (r.license === undefined) !== (r.license_token === undefined), {
    message: "give either license or license_token",
    path: ["license"],
  })
  .meta({ id: "ValidateRequest" });

export const renewRequestSchema = z
  .object({
    license: licenseOrToken.optional(),
    license_id: licenseId.optional(),
    new_expires_at: expiryInput,
    extend_modules: modules.optional(),
    // A null value removes that metadata key from the renewed license.
    metadata_updates: z.record(z.string().min(1).max(200), jsonValue).optional(),
  })
  .strict()
  .refine((r) => (r.license === undefined) !== (r.license_id === undefined), {
    message: "give either license or license_id, not both",
    path: ["license_id"],
  })
  .meta({ id: "RenewRequest" });

export type RenewRequest = z.output<typeof renewRequestSchema>;

export const revokeRequestSchema = z
  .object({
    license_id: licenseId,
    reason: z.string().trim().min(1).max(500),
    effective_date: startInput.optional(),
  })
  .strict()
  .meta({ id: "RevokeRequest" });

export const stateChangeRequestSchema = z
  .object({ license_id: licenseId, reason: z.string().trim().min(1).max(500).optional() })
  .strict()
  .meta({ id: "StateChangeRequest" });

export const LICENSE_STATUSES = [
  "active",
  "expired",
  "revoked",
  "suspended",
  "superseded",
] as const;
export type LicenseStatus = (typeof LICENSE_STATUSES)[number];

export const listQuerySchema = z
  .object({
    customer: customerSchema.optional(),
    status: z.enum(LICENSE_STATUSES).optional(),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
    limit: z.coerce.number().int().min(1).default(20),
    cursor: z.string().max(500).optional(),
  })
  .strict();

export const licenseIdParamSchema = z.object({ id: licenseId });

export const VALIDATION_CODES = [
  "VALID",
  "INVALID_SIGNATURE",
  "EXPIRED",
  "NOT_YET_VALID",
  "REVOKED",
  "SUSPENDED",
  "SUPERSEDED",
  "NOT_FOUND",
  "MODULE_NOT_LICENSED",
  "KEY_VERSION_RETIRED",
] as const;
export type ValidationCode = (typeof VALIDATION_CODES)[number];

export const validationResultSchema = z
  .object({
    valid: z.boolean(),
    code: z.enum(VALIDATION_CODES),
    signature_valid: z.boolean(),
    expired: z.boolean(),
    days_until_expiry: z.number().int().nullable(),
    license: z.record(z.string(), z.unknown()).nullable(),
    validation_timestamp: z.string(),
  })
  .meta({ id: "ValidationResult" });

export type ValidationResult = z.infer<typeof validationResultSchema>;
