/** What webhooks can subscribe to. */
export const EVENT_TYPES = [
  "license.issued",
  "license.renewed",
  "license.revoked",
  "license.suspended",
  "license.reinstated",
  "license.expiring",
  "license.expired",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/**
 * One event as it travels through the queue and reaches receivers. `id` is stable: a message
 * sent twice carries the same id, and deliveries are deduplicated on it.
 */
export interface LicenseEvent {
  id: string;
  type: EventType;
  tenant_id: string;
  occurred_at: string;
  data: Record<string, unknown>;
}
