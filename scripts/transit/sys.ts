import {
  badRequest,
  fieldString,
  type JsonObject,
  parseGoBool,
  type Reply,
  unsupportedOperation,
  unsupportedPath,
  VaultError,
  vaultReply,
} from "./http.ts";
import { normalizeMountPath, type Store } from "./store.ts";

/** The handful of sys/ endpoints a transit client or a set-up script touches. */
export interface ServerState {
  sealed: boolean;
  standby: boolean;
  latencyMs: number;
  version: string;
  clusterName: string;
  clusterId: string;
}

/** Vault's fetchStatusCode: a present but non-numeric code is a 400 with no message. */
function statusCode(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) {
    return fallback;
  }
  if (!/^[+-]?\d+$/.test(raw)) {
    throw new VaultError(400, []);
  }
  return Number(raw);
}

function flag(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  if (raw === null) {
    return false;
  }
  const parsed = parseGoBool(raw);
  if (parsed === undefined) {
    throw new VaultError(400, []);
  }
  return parsed;
}

/** GET/HEAD sys/health, following http/sys_health.go (never uninitialised or a DR node). */
export function health(state: ServerState, query: URLSearchParams, head: boolean): Reply {
  const standbyOk = flag(query, "standbyok");
  flag(query, "perfstandbyok");
  statusCode(query, "uninitcode", 501);
  const sealedCode = statusCode(query, "sealedcode", 503);
  const standbyCode = statusCode(query, "standbycode", 429);
  const activeCode = statusCode(query, "activecode", 200);
  for (const name of ["drsecondarycode", "performancestandbycode", "haunhealthycode"]) {
    statusCode(query, name, 0);
  }
  statusCode(query, "removedcode", 530);
  const standby = state.standby && !state.sealed;
  const status = state.sealed ? sealedCode : standby && !standbyOk ? standbyCode : activeCode;
  const body: JsonObject = {
    initialized: true,
    sealed: state.sealed,
    standby,
    performance_standby: false,
    replication_performance_mode: "disabled",
    replication_dr_mode: "disabled",
    server_time_utc: Math.floor(Date.now() / 1000),
    version: state.version,
    enterprise: false,
    ...(state.sealed ? {} : { cluster_name: state.clusterName, cluster_id: state.clusterId }),
    echo_duration_ms: 0,
    clock_skew_ms: 0,
    replication_primary_canary_age_ms: 0,
  };
  return head ? { status } : { status, body };
}

/** GET sys/seal-status, which Vault serves unauthenticated and while sealed. */
export function sealStatus(state: ServerState, store: Store): Reply {
  return {
    status: 200,
    body: {
      type: "shamir",
      initialized: true,
      sealed: state.sealed,
      t: 1,
      n: 1,
      progress: 0,
      nonce: "",
      version: state.version,
      build_date: "",
      migration: false,
      ...(state.sealed ? {} : { cluster_name: state.clusterName, cluster_id: state.clusterId }),
      recovery_seal: false,
      storage_type: store.stateFile === undefined ? "inmem" : "file",
    },
  };
}

function listMounts(store: Store, namespace: string): Reply {
  const data: JsonObject = {};
  for (const mount of [...store.mounts(namespace).values()].sort((a, b) =>
    a.path.localeCompare(b.path),
  )) {
    data[`${mount.path}/`] = {
      accessor: mount.accessor,
      config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 },
      description: mount.description,
      external_entropy_access: false,
      local: false,
      options: null,
      plugin_version: "",
      running_plugin_version: "",
      running_sha256: "",
      seal_wrap: false,
      type: "transit",
      uuid: mount.uuid,
    };
  }
  return vaultReply(data, "system");
}

/** Authenticated sys/ paths (the caller has checked the token and the seal). */
export function routeSys(
  state: ServerState,
  store: Store,
  namespace: string,
  operation: string,
  rest: string,
  body: JsonObject,
): Reply {
  if (rest === "mounts") {
    if (operation !== "GET") {
      throw unsupportedOperation();
    }
    return listMounts(store, namespace);
  }
  const path = rest.startsWith("mounts/") ? rest.slice("mounts/".length) : "";
  if (normalizeMountPath(path) !== "") {
    if (operation === "DELETE") {
      store.disable(namespace, path);
      return { status: 204 };
    }
    if (operation !== "POST" && operation !== "PUT") {
      throw unsupportedOperation();
    }
    const type = fieldString(body, "type", "");
    if (type === "") {
      throw badRequest("backend type must be specified");
    }
    if (type !== "transit") {
      throw badRequest(
        `secrets engine type "${type}" is not implemented by this development server`,
      );
    }
    store.enable(namespace, path, fieldString(body, "description", ""));
    return { status: 204 };
  }
  if (rest === "seal" && (operation === "POST" || operation === "PUT")) {
    state.sealed = true;
    return { status: 204 };
  }
  throw unsupportedPath();
}
