// Which CA a CertID names. issuerNameHash and issuerKeyHash are computed once per CA and hash
// algorithm; a CertID that names no known CA reloads the CA list (one may have been created
// since), at most once a second, so a flood of made-up CertIDs cannot flood the store.

import type { Kysely } from 'kysely';
import { listCas } from '../store/repos/cas.ts';
import type { Database } from '../store/schema.ts';
import { parseCertificate } from '../x509/certificate.ts';
import type { CertId } from '../x509/ocsp-request.ts';
import { CERT_ID_HASHES, issuerHashes } from '../x509/ocsp.ts';
import { fromStore } from './errors.ts';

const RELOAD_INTERVAL_MS = 1000;

const keyOf = (hashOid: string, nameHash: Buffer, keyHash: Buffer) => `${hashOid}:${nameHash.toString('hex')}:${keyHash.toString('hex')}`;

export class IssuerIndex {
  readonly #db: Kysely<Database>;
  #byHash = new Map<string, string>();
  #caIds: string[] = [];
  #loadedAt = Number.NEGATIVE_INFINITY;
  #loading: Promise<void> | null = null;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** The id of the CA the CertID names, or null when no CA with a key here matches. */
  async find(certId: CertId): Promise<string | null> {
    const key = keyOf(certId.hashOid, certId.issuerNameHash, certId.issuerKeyHash);
    const hit = this.#byHash.get(key);
    if (hit || !(certId.hashOid in CERT_ID_HASHES)) return hit ?? null;
    if (performance.now() - this.#loadedAt >= RELOAD_INTERVAL_MS) await this.reload();
    return this.#byHash.get(key) ?? null;
  }

  /** The CAs this responder answers for: those whose keys are here (an offline root's are not). */
  async caIds(): Promise<string[]> {
    await this.reload();
    return this.#caIds;
  }

  reload(): Promise<void> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = null;
    });
    return this.#loading;
  }

  async #load(): Promise<void> {
    const rows = await fromStore(() => listCas(this.#db));
    const byHash = new Map<string, string>();
    const caIds: string[] = [];
    for (const row of rows) {
      if (!row.encrypted_key) continue;
      caIds.push(row.id);
      const cert = parseCertificate(row.certificate_der);
      for (const [oid, hash] of Object.entries(CERT_ID_HASHES)) {
        const { nameHash, keyHash } = issuerHashes(cert.subjectDer, cert.spkiDer, hash);
        byHash.set(keyOf(oid, nameHash, keyHash), row.id);
      }
    }
    this.#byHash = byHash;
    this.#caIds = caIds;
    this.#loadedAt = performance.now();
  }
}
