// Which CA a CertID names. issuerNameHash and issuerKeyHash are computed once per CA and hash
// algorithm; a CertID that names no known CA reloads the CA list (one may have been created
// since), at most once a second, so a flood of made-up CertIDs cannot flood the store. A CA
// kept offline is answered for only while a responder certificate imported for it is valid
// (`fleetpki ocsp import`): before its first import and after its last one expires, its
// CertIDs get `unauthorized` as any stranger's do, without a look at the store each.

import type { Kysely } from 'kysely';
import { listCas } from '../store/repos/cas.ts';
import { latestOcspSigner } from '../store/repos/ocsp-signers.ts';
import type { Database } from '../store/schema.ts';
import { parseCertificate } from '../x509/certificate.ts';
import type { CertId } from '../x509/ocsp-request.ts';
import { CERT_ID_HASHES, issuerHashes } from '../x509/ocsp.ts';
import { fromStore } from './errors.ts';

const RELOAD_INTERVAL_MS = 1000;

const keyOf = (hashOid: string, nameHash: Buffer, keyHash: Buffer) => `${hashOid}:${nameHash.toString('hex')}:${keyHash.toString('hex')}`;

interface Indexed {
  caId: string;
  /** When the CA stops being answered for: its imported signer's notAfter; Infinity for a CA with its key here. */
  until: number;
}

export class IssuerIndex {
  readonly #db: Kysely<Database>;
  readonly #clock: () => Date;
  #byHash = new Map<string, Indexed>();
  #caIds: string[] = [];
  #offlineCaIds: string[] = [];
  #loadedAt = Number.NEGATIVE_INFINITY;
  #loading: Promise<void> | null = null;

  constructor(db: Kysely<Database>, clock: () => Date = () => new Date()) {
    this.#db = db;
    this.#clock = clock;
  }

  /** The id of the CA the CertID names, or null when no CA this responder answers for now matches. */
  async find(certId: CertId): Promise<string | null> {
    const key = keyOf(certId.hashOid, certId.issuerNameHash, certId.issuerKeyHash);
    const hit = this.#answering(key);
    if (hit || !(certId.hashOid in CERT_ID_HASHES)) return hit;
    if (performance.now() - this.#loadedAt >= RELOAD_INTERVAL_MS) await this.reload();
    return this.#answering(key);
  }

  /** The CAs that issue their own delegated signers here: those whose keys are here (an offline root's are not). */
  async caIds(): Promise<string[]> {
    await this.reload();
    return this.#caIds;
  }

  /** The CAs kept offline, as of the last reload: their signers come by `ocsp import` only. */
  offlineCaIds(): string[] {
    return this.#offlineCaIds;
  }

  reload(): Promise<void> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = null;
    });
    return this.#loading;
  }

  #answering(key: string): string | null {
    const hit = this.#byHash.get(key);
    return hit && this.#clock().getTime() < hit.until ? hit.caId : null;
  }

  async #load(): Promise<void> {
    const rows = await fromStore(() => listCas(this.#db));
    const byHash = new Map<string, Indexed>();
    const caIds: string[] = [];
    const offlineCaIds: string[] = [];
    for (const row of rows) {
      let until = Number.POSITIVE_INFINITY;
      if (row.encrypted_key) caIds.push(row.id);
      else {
        offlineCaIds.push(row.id);
        const signer = await fromStore(() => latestOcspSigner(this.#db, row.id));
        if (!signer) continue;
        until = Date.parse(signer.not_after);
      }
      const cert = parseCertificate(row.certificate_der);
      for (const [oid, hash] of Object.entries(CERT_ID_HASHES)) {
        const { nameHash, keyHash } = issuerHashes(cert.subjectDer, cert.spkiDer, hash);
        byHash.set(keyOf(oid, nameHash, keyHash), { caId: row.id, until });
      }
    }
    this.#byHash = byHash;
    this.#caIds = caIds;
    this.#offlineCaIds = offlineCaIds;
    this.#loadedAt = performance.now();
  }
}
