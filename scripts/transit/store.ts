import { randomBytes, randomUUID } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname } from "node:path";
import { badRequest, type JsonObject } from "./http.ts";
import { deserializeKey, serializeKey, type TransitKey } from "./keys.ts";

export interface Mount {
  /** Without slashes at either end, e.g. "transit" or "team/transit". */
  path: string;
  description: string;
  accessor: string;
  uuid: string;
  keys: Map<string, TransitKey>;
}

/** Paths a real Vault always has mounted, so enabling an engine there conflicts. */
const BUILTIN_MOUNTS = ["sys", "cubbyhole", "identity"];

const STATE_FORMAT = 1;

function newMount(path: string, description = ""): Mount {
  return {
    path,
    description,
    accessor: `transit_${randomBytes(4).toString("hex")}`,
    uuid: randomUUID(),
    keys: new Map(),
  };
}

export function normalizeMountPath(raw: string): string {
  return raw.replace(/^\/+|\/+$/g, "");
}

/**
 * Keys grouped by namespace (X-Vault-Namespace) and mount. Every namespace starts with the
 * default mount so a client that sends a namespace header needs no extra set-up. With a state
 * file, every change is written atomically (temporary file + rename).
 */
export class Store {
  readonly defaultMount: string;
  readonly stateFile: string | undefined;
  readonly namespaces = new Map<string, Map<string, Mount>>();

  constructor(defaultMount: string, stateFile?: string) {
    this.defaultMount = normalizeMountPath(defaultMount);
    this.stateFile = stateFile;
    if (stateFile !== undefined && existsSync(stateFile)) {
      this.load(stateFile);
    }
  }

  mounts(namespace: string): Map<string, Mount> {
    let mounts = this.namespaces.get(namespace);
    if (!mounts) {
      mounts = new Map([[this.defaultMount, newMount(this.defaultMount)]]);
      this.namespaces.set(namespace, mounts);
    }
    return mounts;
  }

  /** Longest mount whose path prefixes `path`, as Vault's router matches. */
  resolve(namespace: string, path: string): { mount: Mount; rest: string } | undefined {
    let best: Mount | undefined;
    for (const mount of this.mounts(namespace).values()) {
      const matches = path === mount.path || path.startsWith(`${mount.path}/`);
      if (matches && (!best || mount.path.length > best.path.length)) {
        best = mount;
      }
    }
    return best ? { mount: best, rest: path.slice(best.path.length + 1) } : undefined;
  }

  enable(namespace: string, rawPath: string, description: string): void {
    const path = normalizeMountPath(rawPath);
    const mounts = this.mounts(namespace);
    const taken = [...BUILTIN_MOUNTS, ...mounts.keys()].find(
      (existing) =>
        existing === path || path.startsWith(`${existing}/`) || existing.startsWith(`${path}/`),
    );
    if (taken !== undefined) {
      throw badRequest(`path is already in use at ${taken}/`);
    }
    mounts.set(path, newMount(path, description));
    this.persist();
  }

  disable(namespace: string, rawPath: string): void {
    if (this.mounts(namespace).delete(normalizeMountPath(rawPath))) {
      this.persist();
    }
  }

  persist(): void {
    if (this.stateFile === undefined) {
      return;
    }
    const namespaces: JsonObject = {};
    for (const [name, mounts] of this.namespaces) {
      const mountsJson: JsonObject = {};
      for (const mount of mounts.values()) {
        const keys: JsonObject = {};
        for (const key of mount.keys.values()) {
          keys[key.name] = serializeKey(key);
        }
        mountsJson[mount.path] = {
          type: "transit",
          description: mount.description,
          accessor: mount.accessor,
          uuid: mount.uuid,
          keys,
        };
      }
      namespaces[name] = { mounts: mountsJson };
    }
    const text = `${JSON.stringify({ format: STATE_FORMAT, namespaces }, null, 2)}\n`;
    const temp = `${this.stateFile}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      mkdirSync(dirname(this.stateFile), { recursive: true, mode: 0o700 });
      writeFileSync(temp, text, { mode: 0o600 });
      renameSync(temp, this.stateFile);
    } catch (e) {
      if (existsSync(temp)) {
        unlinkSync(temp);
      }
      throw e;
    }
  }

  private load(file: string): void {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    const root = parsed as { format?: unknown; namespaces?: Record<string, unknown> };
    if (root.format !== STATE_FORMAT || typeof root.namespaces !== "object") {
      throw new Error(`${file} is not a transit state file (format ${STATE_FORMAT})`);
    }
    for (const [name, ns] of Object.entries(root.namespaces ?? {})) {
      const mounts = new Map<string, Mount>();
      const mountsJson = (ns as { mounts?: Record<string, JsonObject> }).mounts ?? {};
      for (const [path, m] of Object.entries(mountsJson)) {
        const keys = new Map<string, TransitKey>();
        const keysJson = (m.keys ?? {}) as JsonObject;
        for (const [keyName, raw] of Object.entries(keysJson)) {
          keys.set(keyName, deserializeKey(keyName, raw));
        }
        mounts.set(path, {
          path,
          description: String(m.description ?? ""),
          accessor: String(m.accessor ?? newMount(path).accessor),
          uuid: String(m.uuid ?? randomUUID()),
          keys,
        });
      }
      this.namespaces.set(name, mounts);
    }
  }
}
