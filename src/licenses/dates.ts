const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export const MS_PER_DAY = 86_400_000;

/**
 * Reads a calendar date or an RFC 3339 timestamp as an instant in UTC. A bare date means the
 * start of that day, or its last millisecond when `endOfDay` is set (so an expiry of
 * `2025-12-31` covers all of that day). Returns undefined for anything else.
 */
export function parseInstant(value: string, endOfDay: boolean): number | undefined {
  const date = DATE_ONLY.exec(value);
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const start = Date.UTC(year, month - 1, day);
    const check = new Date(start);
    // Date.UTC rolls 2025-02-30 over into March; a date that does not exist is rejected.
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1) {
      return undefined;
    }
    if (check.getUTCDate() !== day) {
      return undefined;
    }
    return endOfDay ? start + MS_PER_DAY - 1 : start;
  }
  if (DATE_TIME.test(value)) {
    const instant = Date.parse(value);
    return Number.isNaN(instant) ? undefined : instant;
  }
  return undefined;
}

export function toTimestamp(instant: number): string {
  return new Date(instant).toISOString();
}
