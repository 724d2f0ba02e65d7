import { z } from "zod";
import { VAULT_KEY_TYPES } from "../crypto/verify.ts";

export const createKeySchema = z
  .object({ type: z.enum(VAULT_KEY_TYPES as [string, ...string[]]) })
  .strict()
  .meta({ id: "CreateKeyRequest" });

export const minVersionSchema = z
  .object({ min_version: z.number().int().positive() })
  .strict()
  .meta({ id: "MinVersionRequest" });
