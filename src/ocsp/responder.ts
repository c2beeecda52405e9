// The OCSP responder: request bytes in, response bytes out, no HTTP. A single CertID without a
// nonce (what RFC 5019 clients and `openssl ocsp -no_nonce` send) is answered from the cache
// of pre-signed responses, signed on its first query and replaced before it runs out or at
// once on revocation. A nonce, or several CertIDs, get a response of their own, signed on
// demand and not kept.

import type { Logger } from 'pino';
import type { Context, RevocationEvent } from '../app/context.ts';
import { parseOcspRequest, type CertId, type OcspRequest } from '../x509/ocsp-request.ts';
import { errorResponse, type CertStatus, type OcspStatus } from '../x509/ocsp.ts';
import { cacheKey, ResponseCache, type CachedResponse, type HttpCaching } from './cache.ts';
import { NotAuthoritative, statusForError } from './errors.ts';
import { IssuerIndex } from './issuer-index.ts';
import { signResponse, type Answered, type SignedResponse } from './sign-response.ts';
import { SignerPool } from './signers.ts';
import { lookupStatus } from './status.ts';

/** Requests above this are refused before parsing (HTTP 413); a real one is a few hundred bytes. */
export const MAX_REQUEST_BYTES = 8192;
/** CertIDs answered in one request; RFC 5019 clients send one. */
export const MAX_CERT_IDS = 16;
/** A fill that loses the race with a revocation reads the status again, this many times at most. */
const MAX_FILL_ATTEMPTS = 3;

export interface OcspAnswer {
  der: Buffer;
  status: OcspStatus;
  /** HTTP caching facts (RFC 5019 6.2); null where no cache may keep the answer (errors, nonces). */
  caching: HttpCaching | null;
  source: 'cache' | 'signed' | 'error';
}

export interface ResponderOptions {
  /** For tests of expiry and renewal. */
  clock?: () => Date;
}

export class OcspResponder {
  readonly cache: ResponseCache;
  readonly signers: SignerPool;
  readonly issuers: IssuerIndex;
  readonly #ctx: Context;
  readonly #log: Logger;
  readonly #clock: () => Date;
  readonly #filling = new Map<string, Promise<CachedResponse>>();
  readonly #onRevocation = (event: RevocationEvent) => this.invalidate(event.certificateIds);

  constructor(ctx: Context, options: ResponderOptions = {}) {
    this.#ctx = ctx;
    this.#log = ctx.log.child({ component: 'ocsp' });
    this.#clock = options.clock ?? (() => new Date());
    this.cache = new ResponseCache(ctx.config.ocsp.cacheEntries);
    this.issuers = new IssuerIndex(ctx.db, this.#clock);
    this.signers = new SignerPool({
      db: ctx.db,
      ledger: ctx.ledger,
      cas: ctx.cas,
      passphrase: ctx.passphrase,
      scryptLog2N: ctx.config.keys.scryptLog2N,
      validityDays: ctx.config.ocsp.signerValidityDays,
      log: this.#log,
    });
    ctx.events.on('revocation', this.#onRevocation);
  }

  get validityMs(): number {
    return this.#ctx.config.ocsp.responseValidityMinutes * 60_000;
  }

  async respond(der: Buffer): Promise<OcspAnswer> {
    try {
      const request = parseOcspRequest(der, MAX_CERT_IDS);
      if (request.nonce || request.certIds.length > 1) return await this.#signOnDemand(request);
      return await this.#preSigned(request.certIds[0]);
    } catch (error) {
      return this.#failure(error);
    }
  }

  /** Drops these certificates' responses and signs their replacements now (after a revocation). */
  invalidate(certificateIds: string[]): void {
    for (const entry of this.cache.invalidate(certificateIds)) {
      this.#fill(cacheKey(entry.certId), entry.certId, entry.caId).catch((error) => this.#log.warn({ err: error }, 'could not re-sign an OCSP response after a revocation'));
    }
  }

  /** Re-signs responses within the last third of their validity that were asked for since; drops the others. */
  async refresh(): Promise<{ resigned: number; dropped: number }> {
    const now = this.#clock().getTime();
    let resigned = 0;
    let dropped = 0;
    for (const entry of this.cache.entries()) {
      if (entry.caching.nextUpdate.getTime() - now >= this.validityMs / 3) continue;
      const key = cacheKey(entry.certId);
      if (entry.used && (await this.#refill(key, entry))) {
        resigned++;
      } else {
        this.cache.delete(key);
        dropped++;
      }
    }
    return { resigned, dropped };
  }

  /**
   * Issues or renews the delegated signer of every CA with a key here, and takes up the
   * signers imported for CAs kept offline; one CA's failure does not stop the others.
   */
  async prepareSigners(): Promise<void> {
    for (const caId of await this.issuers.caIds()) {
      await this.signers.ensure(caId, this.#clock()).catch((error) => this.#log.error({ err: error, caId }, 'no OCSP signer for this CA'));
    }
    for (const caId of this.issuers.offlineCaIds()) {
      await this.signers.pickUpImported(caId, this.#clock()).catch((error) => this.#log.error({ err: error, caId }, 'could not load the imported OCSP signer of this CA'));
    }
  }

  async close(): Promise<void> {
    this.#ctx.events.off('revocation', this.#onRevocation);
    await Promise.allSettled([...this.#filling.values()]);
    await this.signers.idle();
  }

  /** Re-signs a cached response; false when its CA is no longer answered for (an offline CA's signer expired). */
  async #refill(key: string, entry: CachedResponse): Promise<boolean> {
    try {
      await this.#fill(key, entry.certId, entry.caId);
      return true;
    } catch (error) {
      if (!(error instanceof NotAuthoritative)) throw error;
      return false;
    }
  }

  async #preSigned(certId: CertId): Promise<OcspAnswer> {
    const key = cacheKey(certId);
    const hit = this.cache.get(key, this.#clock().getTime());
    if (hit) return { der: hit.der, status: 'successful', caching: hit.caching, source: 'cache' };
    const entry = await this.#fill(key, certId, null);
    return { der: entry.der, status: 'successful', caching: entry.caching, source: 'signed' };
  }

  /** One signing per CertID at a time: concurrent first queries share it. */
  #fill(key: string, certId: CertId, caId: string | null): Promise<CachedResponse> {
    let pending = this.#filling.get(key);
    if (!pending) {
      pending = this.#signAndStore(key, certId, caId).finally(() => this.#filling.delete(key));
      this.#filling.set(key, pending);
    }
    return pending;
  }

  async #signAndStore(key: string, certId: CertId, knownCaId: string | null): Promise<CachedResponse> {
    const caId = knownCaId ?? (await this.#issuerOf(certId));
    for (let attempt = 1; ; attempt++) {
      const epoch = this.cache.epoch;
      const { status, certificateId } = await lookupStatus(this.#ctx.db, caId, certId.serialHex);
      const signed = await this.#sign(caId, [{ certId, status }], []);
      const entry: CachedResponse = { der: own(signed.der), caching: signed.caching, certId: ownCertId(certId), caId, certificateId, status, used: false };
      if (this.cache.set(key, entry, epoch) || attempt >= MAX_FILL_ATTEMPTS) return entry;
    }
  }

  async #signOnDemand(request: OcspRequest): Promise<OcspAnswer> {
    const caIds = await Promise.all(request.certIds.map((certId) => this.#issuerOf(certId)));
    // One response has one signer, and a delegated signer speaks for its own CA only.
    if (caIds.some((id) => id !== caIds[0])) throw new NotAuthoritative('the CertIDs name different CAs; ask about each CA in a request of its own');
    const answers: Answered[] = [];
    for (const certId of request.certIds) answers.push({ certId, status: await this.#currentStatus(caIds[0], certId) });
    const signed = await this.#sign(caIds[0], answers, request.nonce ? [request.nonce] : []);
    return { der: signed.der, status: 'successful', caching: request.nonce ? null : signed.caching, source: 'signed' };
  }

  /** A pre-signed response's status is as current as the store's (revocations replace it), and costs no query. */
  async #currentStatus(caId: string, certId: CertId): Promise<CertStatus> {
    const cached = this.cache.peek(cacheKey(certId), this.#clock().getTime());
    return cached ? cached.status : (await lookupStatus(this.#ctx.db, caId, certId.serialHex)).status;
  }

  async #sign(caId: string, answers: Answered[], extensions: Buffer[]): Promise<SignedResponse> {
    const now = this.#clock();
    const signer = await this.signers.forCa(caId, now);
    return signResponse(signer, answers, extensions, now, this.validityMs);
  }

  async #issuerOf(certId: CertId): Promise<string> {
    const caId = await this.issuers.find(certId);
    if (!caId) throw new NotAuthoritative("no CA of this responder matches the CertID's issuer name and key hashes");
    return caId;
  }

  #failure(error: unknown): OcspAnswer {
    const status = statusForError(error);
    if (status === 'internalError') this.#log.error({ err: error }, 'OCSP request failed');
    else if (status === 'tryLater') this.#log.warn({ err: error }, 'OCSP request deferred: the store does not answer');
    else this.#log.debug({ reason: (error as Error).message, status }, 'OCSP request refused');
    return { der: errorResponse(status), status, caching: null, source: 'error' };
  }
}

/**
 * A copy on memory of its own. Small Buffers are views into shared 8 KiB slabs (the request
 * body's, Buffer.concat's); a cached view would keep its whole slab alive, several KiB a response.
 */
function own(bytes: Buffer): Buffer {
  const copy = new Uint8Array(bytes);
  return Buffer.from(copy.buffer, 0, copy.length);
}

/** The hashes are views into the CertID's bytes; one copy serves all three. */
function ownCertId(certId: CertId): CertId {
  const der = own(certId.der);
  const view = (part: Buffer) => der.subarray(part.byteOffset - certId.der.byteOffset, part.byteOffset - certId.der.byteOffset + part.length);
  return { ...certId, der, issuerNameHash: view(certId.issuerNameHash), issuerKeyHash: view(certId.issuerKeyHash) };
}
