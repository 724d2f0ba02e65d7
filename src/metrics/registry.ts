/** Upper bounds (ms) of the latency histograms' buckets. */
export const LATENCY_BUCKETS_MS = [
  0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000,
];

export type CounterName =
  | "licenses_issued_total"
  | "licenses_renewed_total"
  | "licenses_revoked_total"
  | "validations_total"
  | "vault_requests_total";

export type HistogramName =
  | "validation_duration_ms"
  | "signing_duration_ms"
  | "vault_request_duration_ms";

/** Counts and histograms keyed by name and labels, as plain data that can be merged and sent. */
export interface MetricsSnapshot {
  counters: Record<string, number>;
  histograms: Record<string, { buckets: number[]; sum: number; count: number }>;
}

export function emptySnapshot(): MetricsSnapshot {
  return { counters: {}, histograms: {} };
}

/** `name{label="value",...}`, with labels sorted so that equal series have equal keys. */
export function seriesKey(name: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map(
      (key) => `${key}="${String(labels[key]).replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`,
    );
  return parts.length > 0 ? `${name}{${parts.join(",")}}` : name;
}

export function addCount(snapshot: MetricsSnapshot, key: string, amount = 1): void {
  snapshot.counters[key] = (snapshot.counters[key] ?? 0) + amount;
}

export function addObservation(snapshot: MetricsSnapshot, key: string, value: number): void {
  let histogram = snapshot.histograms[key];
  if (!histogram) {
    histogram = { buckets: LATENCY_BUCKETS_MS.map(() => 0), sum: 0, count: 0 };
    snapshot.histograms[key] = histogram;
  }
  const index = LATENCY_BUCKETS_MS.findIndex((bound) => value <= bound);
  if (index >= 0) {
    histogram.buckets[index] = (histogram.buckets[index] ?? 0) + 1;
  }
  histogram.sum += value;
  histogram.count += 1;
}

export function merge(into: MetricsSnapshot, from: MetricsSnapshot): void {
  for (const [key, value] of Object.entries(from.counters)) {
    addCount(into, key, value);
  }
  for (const [key, histogram] of Object.entries(from.histograms)) {
    let target = into.histograms[key];
    if (!target) {
      target = { buckets: LATENCY_BUCKETS_MS.map(() => 0), sum: 0, count: 0 };
      into.histograms[key] = target;
    }
    histogram.buckets.forEach((n, i) => {
      if (target) {
        target.buckets[i] = (target.buckets[i] ?? 0) + n;
      }
    });
    target.sum += histogram.sum;
    target.count += histogram.count;
  }
}

const PREFIX = "license_authority_";
const HELP: Record<string, string> = {
  licenses_issued_total: "Licenses issued, by tenant.",
  licenses_renewed_total: "Licenses renewed, by tenant.",
  licenses_revoked_total: "Licenses revoked, by tenant.",
  validations_total: "Validations, by tenant and result code.",
  vault_requests_total: "Requests to Vault, by operation and outcome.",
  validation_duration_ms: "Time to answer a validation, in milliseconds.",
  signing_duration_ms: "Time Vault took to sign, in milliseconds.",
  vault_request_duration_ms: "Time of each Vault request, in milliseconds.",
};

function baseName(key: string): string {
  return key.split("{")[0] ?? key;
}

function withLabel(key: string, suffix: string, extra?: string): string {
  const [name, labels = ""] = key.split("{");
  const inner = labels.replace(/}$/, "");
  const all = [inner, extra].filter(Boolean).join(",");
  return `${PREFIX}${name}${suffix}${all ? `{${all}}` : ""}`;
}

/** The Prometheus text exposition format of a snapshot. */
export function renderPrometheus(snapshot: MetricsSnapshot): string {
  const lines: string[] = [];
  const described = new Set<string>();
  const describe = (name: string, type: string) => {
    if (!described.has(name)) {
      described.add(name);
      lines.push(
        `# HELP ${PREFIX}${name} ${HELP[name] ?? name}`,
        `# TYPE ${PREFIX}${name} ${type}`,
      );
    }
  };
  for (const key of Object.keys(snapshot.counters).sort()) {
    describe(baseName(key), "counter");
    lines.push(`${withLabel(key, "")} ${snapshot.counters[key]}`);
  }
  for (const key of Object.keys(snapshot.histograms).sort()) {
    const histogram = snapshot.histograms[key];
    if (!histogram) {
      continue;
    }
    describe(baseName(key), "histogram");
    let cumulative = 0;
    LATENCY_BUCKETS_MS.forEach((bound, i) => {
      cumulative += histogram.buckets[i] ?? 0;
      lines.push(`${withLabel(key, "_bucket", `le="${bound}"`)} ${cumulative}`);
    });
    lines.push(`${withLabel(key, "_bucket", 'le="+Inf"')} ${histogram.count}`);
    lines.push(`${withLabel(key, "_sum")} ${histogram.sum}`);
    lines.push(`${withLabel(key, "_count")} ${histogram.count}`);
  }
  return `${lines.join("\n")}\n`;
}
