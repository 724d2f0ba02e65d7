import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { ZodType } from "zod";
import { ApiError } from "../errors.ts";

/** How each part of a request is called in error messages. */
const PLACE: Partial<Record<keyof ValidationTargets, string>> = {
  json: "body",
  query: "query",
  param: "path",
};

/**
 * Hono's zod validator, wrapped so that bad input gets the error envelope with every problem
 * listed by path, never the validator's own response.
 */
export function valid<Target extends keyof ValidationTargets, Schema extends ZodType>(
  target: Target,
  schema: Schema,
) {
  return zValidator(target, schema, (result) => {
    if (!result.success) {
      const issues = result.error.issues.map((issue) => ({
        path: issue.path.map(String).join("."),
        message: issue.message,
      }));
      const first = issues[0];
      const place = PLACE[target] ?? target;
      const summary = first ? [first.path, first.message].filter(Boolean).join(": ") : "invalid";
      throw new ApiError("INVALID_LICENSE", `invalid ${place}: ${summary}`, { details: issues });
    }
  });
}
