// How times, statuses and names read on screen. All times are shown in UTC, as the API and
// the certificates themselves state them, so two people comparing screens see the same.

const DAY_MS = 86_400_000;

/** @param {string | null | undefined} iso */
export function dateTime(iso) {
  if (!iso) return '–';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** @param {string | null | undefined} iso */
export function date(iso) {
  return iso ? iso.slice(0, 10) : '–';
}

/**
 * "in 12 days", "3 days ago", "today".
 * @param {string} iso
 * @param {number} [now]
 */
export function relative(iso, now = Date.now()) {
  const days = Math.round((Date.parse(iso) - now) / DAY_MS);
  if (days === 0) {
    const hours = Math.round((Date.parse(iso) - now) / 3_600_000);
    if (hours === 0) return 'now';
    return hours > 0 ? `in ${hours} h` : `${-hours} h ago`;
  }
  return days > 0 ? `in ${days} day${days === 1 ? '' : 's'}` : `${-days} day${days === -1 ? '' : 's'} ago`;
}

/** @param {number} n */
export function count(n) {
  return n.toLocaleString('en-US');
}

/** Long ids (UUIDv7) and serials shortened for tables; the full value stays in the title. @param {string} id */
export function short(id, length = 8) {
  return id.length > length + 1 ? `${id.slice(0, length)}…` : id;
}

/** @param {string} status */
export function label(status) {
  return status.replace(/_/g, ' ');
}

/** Days from now until iso (negative when past). @param {string} iso */
export function daysUntil(iso, now = Date.now()) {
  return (Date.parse(iso) - now) / DAY_MS;
}

/** @param {Date} day @param {number} days */
export function addDays(day, days) {
  return new Date(day.getTime() + days * DAY_MS);
}
