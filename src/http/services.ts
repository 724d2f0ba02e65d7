import type { Context } from "hono";
import type { Config } from "../config.ts";
import { Keyring } from "../keys/keyring.ts";
import type { Actor, LicenseContext } from "../licenses/context.ts";
import { Sessions } from "../licenses/sessions.ts";
import { VaultClient } from "../vault/client.ts";
import type { AppEnv } from "./env.ts";

const DEFAULT_TENANT = "default";
/** D1 bookmarks are dash-separated hexadecimal fields; anything else is ignored, not sent on. */
const BOOKMARK = /^[0-9a-f]{8}(-[0-9a-f]{8,64}){2,6}$/;

export function vaultClient(config: Config): VaultClient {
  const { vault } = config;
  const fetcher = vault.fetcher;
  return new VaultClient({
    addr: vault.addr,
    token: vault.token,
    namespace: vault.namespace,
    mount: vault.mount,
    timeoutMs: vault.timeoutMs,
    access: vault.access,
    fetch: fetcher ? (request) => fetcher.fetch(request) : undefined,
  });
}

/** The services of one request, scoped to the tenant of whoever is calling. */
export function licenseContext(c: Context<AppEnv>): LicenseContext {
  const config = c.get("config");
  const vault = vaultClient(config);
  const tenantId = c.get("principal")?.tenantId ?? DEFAULT_TENANT;
  const bookmark = c.req.header("X-D1-Bookmark");
  const sessions = new Sessions(
    c.env.DB,
    bookmark && BOOKMARK.test(bookmark) ? bookmark : undefined,
  );
  return {
    sessions,
    vault,
    keyring: new Keyring({
      db: c.env.DB,
      vault,
      tenantId,
      keyName: config.vault.keyName,
      vaultScope: `${config.vault.addr}|${config.vault.namespace ?? ""}|${config.vault.mount}`,
    }),
    tenantId,
    issuer: config.issuer,
    stateCacheMs: config.licenseStateCacheMs,
    batchIssueMax: config.batchIssueMax,
    listLimitMax: config.listLimitMax,
    now: Date.now,
  };
}

export function actorOf(c: Context<AppEnv>): Actor {
  return { actor: c.get("principal")?.keyId ?? "anonymous", requestId: c.get("requestId") };
}

/** Hands the client the D1 bookmark of what it just read or wrote, for read-your-writes. */
export function withBookmark(c: Context<AppEnv>, ctx: LicenseContext): void {
  const bookmark = ctx.sessions.bookmark();
  if (bookmark) {
    c.header("X-D1-Bookmark", bookmark);
  }
}
