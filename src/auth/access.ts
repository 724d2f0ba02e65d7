import { type Config, ConfigError } from "../config.ts";
import {
  CLOCK_TOLERANCE_SECONDS,
  CredentialError,
  headerAlgorithm,
  remoteKeySet,
  verifyToken,
} from "./jwt.ts";
import type { Principal } from "./principal.ts";

export type AccessSettings = NonNullable<Config["access"]>;

/** The request header in which Cloudflare Access forwards its signed application token. */
export const ACCESS_ASSERTION_HEADER = "Cf-Access-Jwt-Assertion";

/**
 * The origin of a team domain, which is both the issuer of Access tokens and the host of their
 * signing keys. `myteam.cloudflareaccess.com` means `https://myteam.cloudflareaccess.com`.
 */
export function accessTeamOrigin(teamDomain: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(teamDomain)
    ? teamDomain
    : `https://${teamDomain}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(["ACCESS_TEAM_DOMAIN must be a host name or an http(s) URL"]);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(["ACCESS_TEAM_DOMAIN must be a host name or an http(s) URL"]);
  }
  return url.origin;
}

/**
 * Verifies a Cloudflare Access application token: RS256, signed by a key of the team's
 * `/cdn-cgi/access/certs`, issued by the team domain for this application's AUD tag. Every
 * such token stands for the one configured role and tenant.
 */
export async function verifyAccessAssertion(
  token: string,
  settings: AccessSettings,
): Promise<Principal> {
  const origin = accessTeamOrigin(settings.teamDomain);
  // Access signs with RS256 only; anything else did not come from Access.
  if (headerAlgorithm(token) !== "RS256") {
    throw new CredentialError("algorithm not allowed");
  }
  const payload = await verifyToken(token, remoteKeySet(`${origin}/cdn-cgi/access/certs`), {
    algorithms: ["RS256"],
    issuer: origin,
    audience: settings.audience,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ["exp"],
  });
  // Users carry `email`; service tokens carry `common_name` (the client id) and an empty `sub`.
  const identity = [payload.email, payload.common_name, payload.sub].find(
    (value): value is string => typeof value === "string" && value !== "",
  );
  if (identity === undefined) {
    throw new CredentialError("missing identity");
  }
  return {
    keyId: `access:${identity}`,
    tenantId: settings.tenantId,
    role: settings.role,
    via: "access",
  };
}
