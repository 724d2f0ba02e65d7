export const ROLES = ["admin", "issuer", "reader", "validator"] as const;
export type Role = (typeof ROLES)[number];

/** Who a request acts as, once its credential is known. */
export interface Principal {
  /** Names the actor in history and logs: an API key id, or a token's issuer and subject. */
  keyId: string;
  tenantId: string;
  role: Role;
  via: "api_key" | "jwt" | "access";
}
