import { VaultClient } from "../src/vault/client.ts";

export interface ProvisionOptions {
  addr: string;
  token: string;
  namespace?: string | undefined;
  mount: string;
  keys: { name: string; type: string }[];
}

/**
 * Enables the Transit engine at `mount` (if it is not already) and creates the signing keys,
 * through Vault's HTTP API, so it works the same against Vault, OpenBao and the dev origin.
 */
export async function provisionTransit(options: ProvisionOptions): Promise<void> {
  const headers: Record<string, string> = {
    "X-Vault-Token": options.token,
    "Content-Type": "application/json",
  };
  if (options.namespace) {
    headers["X-Vault-Namespace"] = options.namespace;
  }
  const mounted = await fetch(`${options.addr}/v1/sys/mounts/${options.mount}`, {
    method: "POST",
    headers,
    body: JSON.stringify({ type: "transit" }),
  });
  if (!mounted.ok) {
    const body = await mounted.text();
    // Vault answers 400 "path is already in use" when the engine is already there.
    if (!(mounted.status === 400 && body.includes("already in use"))) {
      throw new Error(`could not enable transit at ${options.mount}: ${mounted.status} ${body}`);
    }
  }

  const vault = new VaultClient({
    addr: options.addr,
    token: options.token,
    namespace: options.namespace,
    mount: options.mount,
    timeoutMs: 120_000,
  });
  for (const key of options.keys) {
    await vault.createKey(key.name, key.type);
  }
}
