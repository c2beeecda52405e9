// Delegated OCSP signers, one current per CA. Each is loaded from ocsp_signers and unsealed
// once per process, issued when a CA has none, and renewed when less than a third of its life
// is left, so a response (whose nextUpdate never passes its signer's notAfter) never outlives
// the certificate that vouches for it. Keys are sealed like CA keys (src/signer/sealed-key.ts).
// A CA kept offline cannot issue one here: its signer is the certificate imported by
// `fleetpki ocsp import` (offline-import.ts), used until it expires and never renewed here.

import { createPublicKey, generateKeyPair as generateKeyPairAsync, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { CaRegistry } from '../ca/registry.ts';
import { newId } from '../ids.ts';
import { sealPrivateKey, unsealPrivateKey } from '../signer/sealed-key.ts';
import type { Signer } from '../signer/signer.ts';
import { SoftwareSigner } from '../signer/software.ts';
import type { GroupCommit } from '../store/group-commit.ts';
import { insertOcspSigner, latestOcspSigner, type OcspSignerRow } from '../store/repos/ocsp-signers.ts';
import type { Database } from '../store/schema.ts';
import { parseCertificate } from '../x509/certificate.ts';
import { keyIdentifier } from '../x509/extensions.ts';
import { classifyPublicKey, isKeyType, type KeyType } from '../x509/keys.ts';
import { fromStore, NotAuthoritative } from './errors.ts';
import { responderValidity, signResponderCertificate } from './signer-certificate.ts';

export interface OcspSigner {
  id: string;
  caId: string;
  certificateDer: Buffer;
  /** SHA-1 of the signer's public key: the ResponderID (byKey) of its responses. */
  responderKeyHash: Buffer;
  signer: Signer;
  notBefore: Date;
  notAfter: Date;
  /** False for a CA kept offline: only another `ocsp import` brings its next signer. */
  renewable: boolean;
}

export interface SignerPoolDeps {
  db: Kysely<Database>;
  ledger: GroupCommit;
  cas: CaRegistry;
  passphrase: () => string;
  scryptLog2N: number;
  validityDays: number;
  log: Logger;
}

const DAY_MS = 86_400_000;
const generate = promisify(generateKeyPairAsync);

export function renewalDue(signer: Pick<OcspSigner, 'notBefore' | 'notAfter'>, now: Date): boolean {
  const life = signer.notAfter.getTime() - signer.notBefore.getTime();
  return signer.notAfter.getTime() - now.getTime() < life / 3;
}

const usable = (signer: Pick<OcspSigner, 'notBefore' | 'notAfter'>, now: Date) => signer.notBefore <= now && now < signer.notAfter;
/** Judged on the row's columns, before its key is unsealed (scrypt): an expired row costs no unsealing. */
const usableRow = (row: OcspSignerRow, now: Date) => usable({ notBefore: new Date(row.not_before), notAfter: new Date(row.not_after) }, now);

/** Same key type as the CA: a relying party that can check the CA's signatures can check the responder's. */
export async function generateKey(type: KeyType): Promise<KeyObject> {
  if (type === 'ed25519') return (await generate('ed25519')).privateKey;
  if (type.startsWith('rsa-')) return (await generate('rsa', { modulusLength: Number(type.slice(4)) })).privateKey;
  return (await generate('ec', { namedCurve: type === 'ec-p384' ? 'P-384' : 'P-256' })).privateKey;
}

export class SignerPool {
  readonly #deps: SignerPoolDeps;
  readonly #current = new Map<string, OcspSigner>();
  readonly #pending = new Map<string, Promise<OcspSigner>>();

  constructor(deps: SignerPoolDeps) {
    this.#deps = deps;
  }

  /** The signer to sign with now. A due renewal runs in the background while the current signer is still valid. */
  async forCa(caId: string, now: Date): Promise<OcspSigner> {
    const current = this.#current.get(caId);
    if (current && usable(current, now)) {
      if (current.renewable && renewalDue(current, now) && !this.#pending.has(caId)) {
        this.#once(caId, () => this.#renew(current, now)).catch((error) => this.#deps.log.error({ err: error, caId }, 'OCSP signer renewal failed'));
      }
      return current;
    }
    return this.#once(caId, () => this.#loadOrIssue(caId, now));
  }

  /** A signer with more than a third of its life left, issued now if need be (the refresher's job). */
  async ensure(caId: string, now: Date): Promise<OcspSigner> {
    const signer = await this.forCa(caId, now);
    return signer.renewable && renewalDue(signer, now) ? this.#once(caId, () => this.#renew(signer, now)) : signer;
  }

  /**
   * For a CA kept offline (the refresher's job): takes up a signer imported since, by this
   * process or another, once it outlasts the current one. Nothing is issued.
   */
  async pickUpImported(caId: string, now: Date): Promise<OcspSigner | null> {
    const row = await fromStore(() => latestOcspSigner(this.#deps.db, caId));
    const current = this.#current.get(caId);
    if (!row || !usableRow(row, now) || row.id === current?.id) return current ?? null;
    if (current && usable(current, now) && Date.parse(row.not_after) <= current.notAfter.getTime()) return current;
    return this.#install(this.#unseal(row, false));
  }

  /** Waits for issuance and renewal under way (before the store closes). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#pending.values()]);
  }

  #once(caId: string, work: () => Promise<OcspSigner>): Promise<OcspSigner> {
    let pending = this.#pending.get(caId);
    if (!pending) {
      pending = work().finally(() => this.#pending.delete(caId));
      this.#pending.set(caId, pending);
    }
    return pending;
  }

  async #loadOrIssue(caId: string, now: Date): Promise<OcspSigner> {
    const issuer = await this.#deps.cas.get(caId);
    const row = await fromStore(() => latestOcspSigner(this.#deps.db, caId));
    if (row && usableRow(row, now)) return this.#install(this.#unseal(row, issuer.hasKey));
    if (!issuer.hasKey) {
      const last = row ? ` (the last one imported expired at ${row.not_after})` : '';
      throw new NotAuthoritative(`CA ${issuer.row.name} is kept offline and has no current OCSP responder certificate here${last}: fleetpki ocsp request, ocsp sign-request on its instance, ocsp import`);
    }
    return this.#install(await this.#issue(caId, now));
  }

  /** Renews unless the CA's own end keeps the new signer from outliving the current one. */
  async #renew(current: OcspSigner, now: Date): Promise<OcspSigner> {
    const issuer = await this.#deps.cas.get(current.caId);
    const possibleEnd = Math.min(now.getTime() + this.#deps.validityDays * DAY_MS, issuer.cert.notAfter.getTime());
    if (possibleEnd <= current.notAfter.getTime()) return current;
    return this.#install(await this.#issue(current.caId, now));
  }

  #install(signer: OcspSigner): OcspSigner {
    this.#current.set(signer.caId, signer);
    return signer;
  }

  #unseal(row: OcspSignerRow, renewable: boolean): OcspSigner {
    const privateKey = unsealPrivateKey(row.encrypted_key, this.#deps.passphrase(), row.id);
    return toSigner(row.id, row.ca_id, row.certificate_der, privateKey, renewable);
  }

  async #issue(caId: string, now: Date): Promise<OcspSigner> {
    const issuer = await this.#deps.cas.get(caId);
    if (!issuer.hasKey) throw new NotAuthoritative(`CA ${issuer.row.name} has no key here to issue an OCSP signer with`);
    const caSigner = issuer.signer(this.#deps.passphrase);
    const privateKey = await generateKey(isKeyType(issuer.row.key_type) ? issuer.row.key_type : 'ec-p256');
    const publicKey = createPublicKey(privateKey);
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const { notBefore, notAfter } = responderValidity(issuer, now, this.#deps.validityDays);
    const { der, serial } = await signResponderCertificate({ issuer, caSigner, spki, key: classifyPublicKey(publicKey), notBefore, notAfter });
    const id = newId();
    const row = {
      id,
      ca_id: caId,
      certificate_der: der,
      encrypted_key: sealPrivateKey(privateKey, this.#deps.passphrase(), id, this.#deps.scryptLog2N),
      not_before: notBefore.toISOString(),
      not_after: notAfter.toISOString(),
      created_at: new Date().toISOString(),
    };
    await this.#deps.ledger.submit((trx) => insertOcspSigner(trx, row), [
      { actor: 'system:ocsp', action: 'ocsp.signer.issue', target: `ca:${issuer.row.name}`, outcome: 'success', details: { signer: id, serial: serial.hex, notAfter: row.not_after } },
    ]);
    this.#deps.log.info({ ca: issuer.row.name, signer: id, notAfter: row.not_after }, 'issued a delegated OCSP signing certificate');
    return toSigner(id, caId, der, privateKey, true);
  }
}

function toSigner(id: string, caId: string, der: Buffer, privateKey: KeyObject, renewable: boolean): OcspSigner {
  const info = parseCertificate(der);
  return { id, caId, certificateDer: der, responderKeyHash: keyIdentifier(info.spkiDer), signer: new SoftwareSigner(privateKey), notBefore: info.notBefore, notAfter: info.notAfter, renewable };
}
