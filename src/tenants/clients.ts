import type { Config } from "../config.ts";
import { Keyring } from "../keys/keyring.ts";
import { count, observe as observeMetric } from "../metrics/recorder.ts";
import { VaultClient } from "../vault/client.ts";
import type { Tenant } from "./store.ts";

/** A Vault client for the service's namespace, or for a tenant's own. */
export function tenantVault(
  config: Config,
  tenant?: Tenant,
  observe?: (operation: string, ms: number, answered: boolean) => void,
): VaultClient {
  const { vault } = config;
  const fetcher = vault.fetcher;
  return new VaultClient({
    addr: vault.addr,
    token: vault.token,
    namespace: tenant?.vault_namespace ?? vault.namespace,
    mount: vault.mount,
    timeoutMs: vault.timeoutMs,
    access: vault.access,
    fetch: fetcher ? (request) => fetcher.fetch(request) : undefined,
    observe: (operation, ms, answered) => {
      count("vault_requests_total", { operation, outcome: answered ? "answered" : "failed" });
      observeMetric("vault_request_duration_ms", ms, { operation });
      if (operation === "sign") {
        observeMetric("signing_duration_ms", ms);
      }
      observe?.(operation, ms, answered);
    },
  });
}

/** The keyring of a tenant's signing key, in the tenant's Vault namespace. */
export function tenantKeyring(
  db: D1Database,
  config: Config,
  tenant: Tenant,
  vault: VaultClient = tenantVault(config, tenant),
): Keyring {
  const namespace = tenant.vault_namespace ?? config.vault.namespace ?? "";
  return new Keyring({
    db,
    vault,
    tenantId: tenant.tenant_id,
    keyName: tenant.transit_key ?? config.vault.keyName,
    vaultScope: `${config.vault.addr}|${namespace}|${config.vault.mount}`,
  });
}
