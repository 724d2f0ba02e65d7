// The admin command groups: API keys, tenants and the tenant's signing key.

import { ROLES } from "../../src/auth/principal.ts";
import { isVaultKeyType, VAULT_KEY_TYPES } from "../../src/crypto/verify.ts";
import { type Command, required, UsageError } from "./common.ts";
import {
  countFlag,
  defined,
  nonEmpty,
  optionalDate,
  serviceCommand,
  serviceGroup,
} from "./http.ts";

const ADMIN_NOTE = "Needs an admin API key.";

const credentialsCreate = serviceCommand({
  summary: "Create an API key; its secret is shown only once",
  usage: `Usage: npm run cli -- credentials create --name N --role ROLE [--expires-at DATE]
         [--tenant T]

  --name N                     what the key is for, e.g. "billing sync"
  --role ROLE                  ${ROLES.join(" | ")}
  --expires-at DATE            when the key stops working: YYYY-MM-DD (end of that day, UTC)
                               or an RFC 3339 timestamp (default: never)
  --tenant T                   the tenant the key acts for (default: the caller's own; only
                               admins of the default tenant may name another)

POST /credentials. ${ADMIN_NOTE} Prints
{"success":true,"credential":{...},"secret":"..."}. The service keeps only a hash of the
secret, so store it now: it cannot be shown again.`,
  flags: ["name", "role", "expires-at", "tenant"],
  request(flags) {
    const name = required(flags.name, "name");
    const role = required(flags.role, "role");
    if (!ROLES.some((known) => known === role)) {
      throw new UsageError(
        `--role must be one of ${ROLES.join(", ")}, got ${JSON.stringify(role)}`,
      );
    }
    return {
      method: "POST",
      path: "/credentials",
      body: defined({
        name,
        role,
        expires_at: optionalDate(flags["expires-at"], "expires-at"),
        tenant_id: nonEmpty(flags.tenant),
      }),
      notice: "The secret above is shown only once: store it now, it cannot be retrieved later.",
    };
  },
});

const credentialsList = serviceCommand({
  summary: "List a tenant's API keys, without their secrets",
  usage: `Usage: npm run cli -- credentials list [--tenant T]

  --tenant T                   whose keys (default: the caller's tenant)

GET /credentials. ${ADMIN_NOTE} Prints {"credentials":[...]}.`,
  flags: ["tenant"],
  request: (flags) => ({
    method: "GET",
    path: "/credentials",
    query: { tenant_id: nonEmpty(flags.tenant) },
  }),
});

const credentialsRevoke = serviceCommand({
  summary: "Revoke an API key at once",
  usage: `Usage: npm run cli -- credentials revoke --key-id ID [--tenant T]

  --key-id ID                  the key's id (key_...), as credentials list shows it
  --tenant T                   the tenant the key belongs to (default: the caller's tenant)

DELETE /credentials/:id. ${ADMIN_NOTE} Prints {"success":true,"credential":{...}}.`,
  flags: ["key-id", "tenant"],
  request: (flags) => ({
    method: "DELETE",
    path: `/credentials/${encodeURIComponent(required(flags["key-id"], "key-id"))}`,
    query: { tenant_id: nonEmpty(flags.tenant) },
  }),
});

const tenantsCreate = serviceCommand({
  summary: "Create a tenant, checking that Vault can sign with its key",
  usage: `Usage: npm run cli -- tenants create --id T --name N [--transit-key K]
         [--vault-namespace NS]

  --id T                       the tenant id: 2-63 lowercase letters, digits or dashes
  --name N                     a display name
  --transit-key K              the Transit key that signs its licenses (default: the
                               service's key); it must already exist in Vault
  --vault-namespace NS         the Vault namespace holding that key (default: the service's)

POST /tenants. Needs an admin API key of the default tenant. Prints
{"success":true,"tenant":{...}}.`,
  flags: ["id", "name", "transit-key", "vault-namespace"],
  request: (flags) => ({
    method: "POST",
    path: "/tenants",
    body: defined({
      tenant_id: required(flags.id, "id"),
      name: required(flags.name, "name"),
      transit_key: nonEmpty(flags["transit-key"]),
      vault_namespace: nonEmpty(flags["vault-namespace"]),
    }),
  }),
});

const tenantsList = serviceCommand({
  summary: "List the tenants the caller may see",
  usage: `Usage: npm run cli -- tenants list

GET /tenants. ${ADMIN_NOTE} Prints {"tenants":[...]}: every tenant for admins of the
default tenant, else the caller's own.`,
  flags: [],
  request: () => ({ method: "GET", path: "/tenants" }),
});

const TENANT_USAGE = [
  "  --tenant T                   whose key (default: the caller's tenant; only admins of the",
  "                               default tenant may name another)",
].join("\n");

const KEY_ANSWER = `Prints
{"success":true,"key":{"name","type","latest_version","min_version","versions":[...]}}.`;

const keysCreate = serviceCommand({
  summary: "Create the tenant's Transit signing key in Vault",
  usage: `Usage: npm run cli -- keys create --type TYPE [--tenant T]

  --type TYPE                  ed25519 | ecdsa-p256 | ecdsa-p384 | ecdsa-p521 |
                               rsa-2048 | rsa-3072 | rsa-4096
${TENANT_USAGE}

POST /keys. ${ADMIN_NOTE} ${KEY_ANSWER}`,
  flags: ["type", "tenant"],
  request(flags) {
    const type = required(flags.type, "type");
    if (!isVaultKeyType(type)) {
      throw new UsageError(
        `--type must be one of ${VAULT_KEY_TYPES.join(", ")}, got ${JSON.stringify(type)}`,
      );
    }
    return {
      method: "POST",
      path: "/keys",
      query: { tenant_id: nonEmpty(flags.tenant) },
      body: { type },
    };
  },
});

const keysShow = serviceCommand({
  summary: "Show the signing key: its versions, kids, public keys, minimum version",
  usage: `Usage: npm run cli -- keys show [--tenant T]

${TENANT_USAGE}

GET /keys. ${ADMIN_NOTE} Prints {"key":{...}}.`,
  flags: ["tenant"],
  request: (flags) => ({
    method: "GET",
    path: "/keys",
    query: { tenant_id: nonEmpty(flags.tenant) },
  }),
});

const keysRotate = serviceCommand({
  summary: "Rotate the signing key: new licenses are signed with a new version",
  usage: `Usage: npm run cli -- keys rotate [--tenant T]

${TENANT_USAGE}

POST /keys/rotate. ${ADMIN_NOTE} Licenses signed with older versions stay valid until
keys set-min retires them. ${KEY_ANSWER}`,
  flags: ["tenant"],
  request: (flags) => ({
    method: "POST",
    path: "/keys/rotate",
    query: { tenant_id: nonEmpty(flags.tenant) },
    body: {},
  }),
});

const keysSetMin = serviceCommand({
  summary: "Retire every key version below N",
  usage: `Usage: npm run cli -- keys set-min --version N [--tenant T]

  --version N                  the oldest version still accepted; licenses signed with an
                               older one report KEY_VERSION_RETIRED (lowering N again brings
                               them back)
${TENANT_USAGE}

POST /keys/min-version. ${ADMIN_NOTE} ${KEY_ANSWER}`,
  flags: ["version", "tenant"],
  request(flags) {
    const version = countFlag(required(flags.version, "version"), "version");
    return {
      method: "POST",
      path: "/keys/min-version",
      query: { tenant_id: nonEmpty(flags.tenant) },
      body: { min_version: Number(version) },
    };
  },
});

/** The admin command groups, by the name typed on the command line. */
export const adminCommands: Record<string, Command> = {
  credentials: serviceGroup("credentials", "Manage API keys (admin)", {
    create: credentialsCreate,
    list: credentialsList,
    revoke: credentialsRevoke,
  }),
  tenants: serviceGroup("tenants", "Manage tenants (admin)", {
    create: tenantsCreate,
    list: tenantsList,
  }),
  keys: serviceGroup("keys", "Manage the signing key (admin)", {
    create: keysCreate,
    show: keysShow,
    rotate: keysRotate,
    "set-min": keysSetMin,
  }),
};
