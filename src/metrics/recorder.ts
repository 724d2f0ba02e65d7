import type { CounterName, HistogramName, MetricsSnapshot } from "./registry.ts";
import { addCount, addObservation, emptySnapshot, merge, seriesKey } from "./registry.ts";

/** How often an isolate hands its counts to the metrics store. */
const FLUSH_INTERVAL_MS = 10_000;

// What this isolate counted since its last flush.
let pending: MetricsSnapshot = emptySnapshot();
let lastFlush = 0;

export function count(name: CounterName, labels: Record<string, string> = {}, amount = 1): void {
  addCount(pending, seriesKey(name, labels), amount);
}

export function observe(
  name: HistogramName,
  valueMs: number,
  labels: Record<string, string> = {},
): void {
  addObservation(pending, seriesKey(name, labels), valueMs);
}

/** Takes what is pending when it is time to flush (or when `force`); empties it. */
export function takePending(now: number, force = false): MetricsSnapshot | undefined {
  const empty =
    Object.keys(pending.counters).length === 0 && Object.keys(pending.histograms).length === 0;
  if (empty || (!force && now - lastFlush < FLUSH_INTERVAL_MS)) {
    return undefined;
  }
  const taken = pending;
  pending = emptySnapshot();
  lastFlush = now;
  return taken;
}

/** Puts counts back after a failed flush, so that none are lost. */
export function restore(snapshot: MetricsSnapshot): void {
  merge(snapshot, pending);
  pending = snapshot;
}
