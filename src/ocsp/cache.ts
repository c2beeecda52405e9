// Pre-signed OCSP responses by CertID, so that the hot path only looks one up. Least recently
// served entries are evicted beyond a bound; a revocation removes its certificate's entries at
// once and bumps an epoch, so that a response signed from a status read before the revocation
// is not stored after it (see ResponseCache.set).

import type { CertId } from '../x509/ocsp-request.ts';
import type { CertStatus } from '../x509/ocsp.ts';

export interface HttpCaching {
  thisUpdate: Date;
  nextUpdate: Date;
  /** RFC 7231 dates and a strong ETag, formatted once when the response is signed. */
  lastModified: string;
  expires: string;
  etag: string;
}

export interface CachedResponse {
  der: Buffer;
  certId: CertId;
  caId: string;
  certificateId: string | null;
  status: CertStatus;
  caching: HttpCaching;
  /** Served since it was signed: the refresher re-signs only responses someone still asks for. */
  used: boolean;
}

/** The CertID's bytes as sent are the key: two encodings of one CertID are two entries, both correct. */
const CERTIFICATE_HOLD = 6;

export const cacheKey = (certId: CertId): string => certId.der.toString('latin1');

export class ResponseCache {
  readonly #maxEntries: number;
  readonly #entries = new Map<string, CachedResponse>();
  readonly #byCertificate = new Map<string, Set<string>>();
  #epoch = 0;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get epoch(): number {
    return this.#epoch;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** A response still valid at `now`, moved to the recent end. */
  get(key: string, now: number): CachedResponse | undefined {
    const entry = this.#entries.get(key);
    if (!entry || entry.caching.nextUpdate.getTime() <= now) return undefined;
    entry.used = true;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /** A response still valid at `now`, without counting it as served (for its status alone). */
  peek(key: string, now: number): CachedResponse | undefined {
    const entry = this.#entries.get(key);
    return entry && entry.caching.nextUpdate.getTime() > now ? entry : undefined;
  }

  /**
   * Stores a response signed from a status read when the epoch was `epoch`. Refused (false)
   * when a revocation came in between: the status may predate it.
   */
  set(key: string, entry: CachedResponse, epoch: number): boolean {
    if (epoch !== this.#epoch) return false;
    this.delete(key);
    this.#entries.set(key, entry);
    if (entry.certificateId) {
      let keys = this.#byCertificate.get(entry.certificateId);
      if (!keys) this.#byCertificate.set(entry.certificateId, (keys = new Set()));
      keys.add(key);
    }
    while (this.#entries.size > this.#maxEntries) this.delete(this.#entries.keys().next().value!);
    return true;
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    if (!entry.certificateId) return;
    const keys = this.#byCertificate.get(entry.certificateId);
    keys?.delete(key);
    if (keys?.size === 0) this.#byCertificate.delete(entry.certificateId);
  }

  /** Removes the responses of these certificates; returns them, so the caller can sign their replacements. */
  invalidate(certificateIds: Iterable<string>): CachedResponse[] {
    this.#epoch++;
    const removed: CachedResponse[] = [];
    for (const id of certificateIds) {
      for (const key of [...(this.#byCertificate.get(id) ?? [])]) {
        removed.push(this.#entries.get(key)!);
        this.delete(key);
      }
    }
    return removed;
  }

  /** Certificates whose cached answer is "on hold": a release by another process leaves no trace to poll for. */
  heldCertificates(): string[] {
    const ids = new Set<string>();
    for (const entry of this.#entries.values()) {
      if (entry.certificateId && entry.status.kind === 'revoked' && entry.status.reason === CERTIFICATE_HOLD) ids.add(entry.certificateId);
    }
    return [...ids];
  }

  entries(): CachedResponse[] {
    return [...this.#entries.values()];
  }
}
