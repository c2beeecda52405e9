// Where a certificate stands in its renewal window, decided from its own timestamps only:
//   not_before ... renew_after ... fail_at ... not_after
//   not-due      due            failing     expired
// fail_at leaves `failedFraction` of the lifetime. When a profile renews later than that
// (renewAfter 0.95 with fraction 0.1), there is no "due" stretch: a renewal cannot have
// failed before it was due, so "failing" starts at renew_after.

export type RenewalPhase = 'not-due' | 'due' | 'failing' | 'expired';

export interface Lifetime {
  not_before: string;
  not_after: string;
  renew_after: string;
}

export function failAt(cert: Lifetime, failedFraction: number): number {
  const notBefore = Date.parse(cert.not_before);
  const notAfter = Date.parse(cert.not_after);
  return notAfter - Math.round((notAfter - notBefore) * failedFraction);
}

export function renewalPhase(cert: Lifetime, now: Date, failedFraction: number): RenewalPhase {
  const t = now.getTime();
  if (t >= Date.parse(cert.not_after)) return 'expired';
  if (t < Date.parse(cert.renew_after)) return 'not-due';
  return t >= failAt(cert, failedFraction) ? 'failing' : 'due';
}
