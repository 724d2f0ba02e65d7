// Matches a UTF-16 surrogate that is not part of a valid pair.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Serialises a JSON value per RFC 8785 (JCS). Accepts null, booleans, finite numbers,
 * well-formed strings, arrays and plain objects; anything else (undefined, NaN, Infinity,
 * bigint, functions, symbols, class instances such as Date or Map, lone surrogates,
 * cycles) throws a TypeError instead of being silently dropped or coerced.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, new Set<object>(), "$");
}

/** The UTF-8 bytes of canonicalJson(value), i.e. the exact bytes that get signed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

function serialise(value: unknown, ancestors: Set<object>, path: string): string {
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) {
        throw new TypeError(`${path}: ${value} cannot be represented in JSON`);
      }
      // ECMAScript Number-to-String is exactly the JCS number format, -0 becoming 0.
      return JSON.stringify(value);
    case "string":
      return serialiseString(value, path);
    case "object":
      if (value === null) {
        return "null";
      }
      return serialiseContainer(value, ancestors, path);
    default:
      throw new TypeError(`${path}: ${typeof value} is not a JSON value`);
  }
}

function serialiseString(value: string, path: string): string {
  // I-JSON forbids lone surrogates, and they have no UTF-8 encoding to sign.
  if (LONE_SURROGATE.test(value)) {
    throw new TypeError(`${path}: string contains a lone surrogate`);
  }
  return JSON.stringify(value);
}

function serialiseContainer(value: object, ancestors: Set<object>, path: string): string {
  if (ancestors.has(value)) {
    throw new TypeError(`${path}: circular reference`);
  }
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const items: string[] = [];
      for (let i = 0; i < value.length; i++) {
        items.push(serialise(value[i], ancestors, `${path}[${i}]`));
      }
      return `[${items.join(",")}]`;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = value.constructor?.name ?? "object";
      throw new TypeError(`${path}: ${name} is not a plain object`);
    }
    const record = value as Record<string, unknown>;
    // Default string comparison orders by UTF-16 code units, which is what JCS requires.
    const keys = Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const members: string[] = [];
    for (const key of keys) {
      const childPath = `${path}.${key}`;
      members.push(
        `${serialiseString(key, childPath)}:${serialise(record[key], ancestors, childPath)}`,
      );
    }
    return `{${members.join(",")}}`;
  } finally {
    ancestors.delete(value);
  }
}
