import { z } from "zod";
import { tenantIdSchema } from "../credentials/schemas.ts";

const instant = z.iso.datetime({ offset: true });

export const auditQuerySchema = z
  .object({
    action: z
      .string()
      .regex(/^[a-z_]+\.[a-z_]+$/, "must be an action such as license.revoked")
      .optional(),
    target: z.string().min(1).max(200).optional(),
    actor: z.string().min(1).max(300).optional(),
    since: instant.optional(),
    until: instant.optional(),
    cursor: z
      .string()
      .regex(/^\d{1,15}$/, "must be a cursor this service returned")
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    tenant_id: tenantIdSchema.optional(),
  })
  .strict();

export const auditTenantQuerySchema = z.object({ tenant_id: tenantIdSchema.optional() }).strict();
