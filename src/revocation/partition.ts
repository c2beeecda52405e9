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

/** YYYY-MM of an instant (UTC). */
export function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

/**
 * A month (YYYY-MM) as a count of months, for comparing months as numbers: as text, a year
 * past 9999 would sort before it ('10000-01' < '9999-12'), and 9999-12 is the expiry month
 * of every IDevID (IEEE 802.1AR: notAfter 99991231235959Z).
 */
export function monthNumber(month: string): number {
  return Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;
}

/**
 * Bounds of the ISO notAfter texts of one month, for a range query: from its first day to
 * "YYYY-MM-32", which sorts after every day of the month and needs no next month (9999-12
 * has none of four digits).
 */
export function monthBounds(month: string): { from: string; before: string } {
  return { from: `${month}-01T00:00:00.000Z`, before: `${month}-32` };
}

/** The 16 partition ids of a month (YYYY-MM). */
export function partitionsOfMonth(month: string): string[] {
  return [...'0123456789abcdef'].map((shard) => `${month.slice(0, 4)}${month.slice(5, 7)}-${shard}`);
}
