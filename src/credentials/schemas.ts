import { z } from "zod";
import { ROLES } from "../auth/principal.ts";
import { VAULT_KEY_TYPES } from "../crypto/verify.ts";
import { expiryInput } from "../licenses/schemas.ts";

export const tenantIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "must be 2-63 lowercase letters, digits or dashes");

export const createCredentialSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    role: z.enum(ROLES),
    expires_at: expiryInput.optional(),
    tenant_id: tenantIdSchema.optional(),
  })
  .strict()
  .meta({ id: "CreateCredentialRequest" });

export const credentialIdParamSchema = z.object({
  id: z.string().regex(/^key_[A-Za-z0-9_-]{16}$/, "must be a credential id such as key_AbC..."),
});

export const tenantQuerySchema = z.object({ tenant_id: tenantIdSchema.optional() }).strict();

export const createTenantSchema = z
  .object({
    tenant_id: tenantIdSchema,
    name: z.string().trim().min(1).max(200),
    transit_key: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, "must be a Transit key name")
      .optional(),
    vault_namespace: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*\/?$/, "must be a Vault namespace path")
      .optional(),
    key_type: z.enum(VAULT_KEY_TYPES as [string, ...string[]]).optional(),
  })
  .strict()
  .meta({ id: "CreateTenantRequest" });
