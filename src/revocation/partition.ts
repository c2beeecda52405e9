// CRL partitions. A certificate's partition is derived from its own notAfter and serial only,
// so it is fixed at issuance and can be written into the certificate's CRL distribution
// point: "<YYYYMM of notAfter>-<last hex digit of the serial>", e.g. 202612-a.
// - The expiry month bounds a partition in time: once every certificate in it has expired
//   (plus one CRL period, RFC 5280 5.3), nobody needs its CRL and it is dropped.
// - The serial's last hex digit is uniformly random (serials come from the CSPRNG), so the
//   16 shards of a month share its revocations evenly and cap each CRL's size.

/** The partition name of the CRL covering all of a CA's certificates (no issuingDistributionPoint). */
export const FULL_CRL = 'full';

const PARTITION = /^(\d{4})(0[1-9]|1[0-2])-([0-9a-f])$/;

export function partitionOf(notAfter: Date | string, serialHex: string): string {
  const iso = typeof notAfter === 'string' ? notAfter : notAfter.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}-${serialHex.slice(-1).toLowerCase()}`;
}

export interface Partition {
  id: string;
  /** YYYY-MM, the prefix of notAfter (ISO text) of the certificates in it. */
  month: string;
  shard: string;
  /** First instant of the month and of the next one (UTC). */
  start: Date;
  end: Date;
}

export function parsePartition(id: string): Partition | null {
  const match = PARTITION.exec(id);
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  return {
    id,
    month: `${match[1]}-${match[2]}`,
    shard: match[3],
    start: new Date(Date.UTC(year, month - 1, 1)),
    end: new Date(Date.UTC(year, month, 1)),
  };
}

/** YYYY-MM of an instant, and the months from one to another, both included. */
export function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

/** The month (YYYY-MM) after `month`. */
export function nextMonth(month: string): string {
  const year = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return m === 12 ? `${String(year + 1).padStart(4, '0')}-01` : `${month.slice(0, 4)}-${String(m + 1).padStart(2, '0')}`;
}

export function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  for (let current = from; current <= to; current = nextMonth(current)) months.push(current);
  return months;
}

/** The 16 partition ids of a month (YYYY-MM). */
export function partitionsOfMonth(month: string): string[] {
  return [...'0123456789abcdef'].map((shard) => `${month.slice(0, 4)}${month.slice(5, 7)}-${shard}`);
}
