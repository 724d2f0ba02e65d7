import type { LicenseEvent } from "../events/types.ts";

/** Queues accept at most 100 messages per sendBatch call. */
const SEND_BATCH_MAX = 100;

/**
 * Sends events to the queue whose consumer delivers webhooks. Callers publish after their D1
 * batch has committed, and the cron sweep re-publishes anything not yet sent, so one event may
 * be sent more than once: the consumer deduplicates on `event.id`, which must stay stable.
 */
export async function publishEvents(queue: Queue, events: LicenseEvent[]): Promise<void> {
  for (let start = 0; start < events.length; start += SEND_BATCH_MAX) {
    const chunk = events.slice(start, start + SEND_BATCH_MAX);
    await queue.sendBatch(chunk.map((event) => ({ body: event, contentType: "json" as const })));
  }
}
