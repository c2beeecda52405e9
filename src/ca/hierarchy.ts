// Creating the CA hierarchy: a self-signed root (or only its certificate, when the root lives
// offline), and issuing CAs signed by it. Keys are sealed before they touch the store.

import type { KeyObject } from 'node:crypto';
import { BadRequest, Conflict } from '../errors.ts';
import { newId } from '../ids.ts';
import type { GroupCommit } from '../store/group-commit.ts';
import { getCaByName, insertCa } from '../store/repos/cas.ts';
import type { CasTable } from '../store/schema.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { CaSpec } from '../config/schema.ts';
import type { Signer } from '../signer/signer.ts';
import { SoftwareSigner } from '../signer/software.ts';
import { sealPrivateKey } from '../signer/sealed-key.ts';
import { isSignedBy, parseCertificate } from '../x509/certificate.ts';
import {
  authorityInfoAccess,
  authorityKeyIdentifier,
  basicConstraints,
  crlDistributionPoint,
  keyIdentifier,
  keyUsage,
  subjectKeyIdentifier,
} from '../x509/extensions.ts';
import { generateKeyPair } from '../x509/keys.ts';
import { encodeName, type NameAttributes } from '../x509/name.ts';
import type { Issuer } from './issuer.ts';
import { newSerial } from './serial.ts';
import { buildTbs, signTbs } from './sign.ts';
import { caUrls } from './urls.ts';

export interface HierarchyDeps {
  db: Kysely<Database>;
  ledger: GroupCommit;
  passphrase: () => string;
  scryptLog2N: number;
  publicUrl: string;
}

const DAY_MS = 86_400_000;

export function caName(spec: Pick<CaSpec, 'commonName' | 'organization'>): NameAttributes {
  const name: NameAttributes = [];
  if (spec.organization) name.push(['O', spec.organization]);
  name.push(['CN', spec.commonName]);
  return name;
}

export async function assertNameFree(deps: HierarchyDeps, name: string): Promise<void> {
  if (await getCaByName(deps.db, name)) throw new Conflict(`a CA named ${name} already exists`);
}

async function record(deps: HierarchyDeps, row: CasTable, actor: string, details: Record<string, unknown>): Promise<CasTable> {
  await deps.ledger.submit((trx) => insertCa(trx, row), [
    { actor, action: 'ca.create', target: `ca:${row.name}`, outcome: 'success', details: { kind: row.kind, keyType: row.key_type, notAfter: row.not_after, ...details } },
  ]);
  return row;
}

/** The store row of a CA certificate; keyType is the key's name (ec-p256, rsa-3072, ...). */
export function caRow(id: string, spec: { name: string; keyType: string }, kind: CasTable['kind'], parentId: string | null, der: Buffer, sealed: Buffer | null): CasTable {
  const info = parseCertificate(der);
  return {
    id,
    name: spec.name,
    parent_id: parentId,
    kind,
    status: 'active',
    key_type: spec.keyType,
    subject: info.subject,
    serial_hex: info.serialHex,
    ski_hex: (info.subjectKeyId ?? Buffer.alloc(0)).toString('hex'),
    not_before: info.notBefore.toISOString(),
    not_after: info.notAfter.toISOString(),
    certificate_der: der,
    key_ref: sealed ? 'software' : null,
    encrypted_key: sealed,
    created_at: new Date().toISOString(),
  };
}

export function seal(deps: HierarchyDeps, privateKey: KeyObject, id: string): Buffer {
  return sealPrivateKey(privateKey, deps.passphrase(), id, deps.scryptLog2N);
}

/**
 * A self-signed CA certificate for `signer`'s key, named `spec`. `pathLength` limits the CAs
 * below it (0: it signs end entities only); undefined leaves the depth open.
 */
export async function signSelfSignedCa(signer: Signer, spec: Pick<CaSpec, 'commonName' | 'organization'>, validity: { notBefore: Date; notAfter: Date }, pathLength?: number): Promise<Buffer> {
  const spki = signer.publicKey.export({ format: 'der', type: 'spki' });
  const name = encodeName(caName(spec));
  const keyId = keyIdentifier(spki);
  const tbs = buildTbs(signer, {
    serial: newSerial().der,
    issuer: name,
    ...validity,
    subject: name,
    spki,
    extensions: [basicConstraints(true, pathLength), keyUsage(['keyCertSign', 'cRLSign']), subjectKeyIdentifier(keyId), authorityKeyIdentifier(keyId)],
  });
  return signTbs(signer, tbs);
}

export async function createRootCa(deps: HierarchyDeps, spec: CaSpec, actor: string, now = new Date()): Promise<CasTable> {
  await assertNameFree(deps, spec.name);
  const id = newId();
  const { privateKey } = generateKeyPair(spec.keyType);
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60_000);
  const der = await signSelfSignedCa(new SoftwareSigner(privateKey), spec, { notBefore, notAfter: new Date(notBefore.getTime() + spec.validityDays * DAY_MS) });
  return record(deps, caRow(id, spec, 'root', null, der, seal(deps, privateKey, id)), actor, {});
}

/** An issuing CA's validity: from now (back-dated a minute) for validityDays, inside the parent's. */
export function issuingValidity(parent: Issuer, validityDays: number, now: Date): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Math.max(Math.floor(now.getTime() / 1000) * 1000 - 60_000, parent.cert.notBefore.getTime()));
  const notAfter = new Date(Math.min(notBefore.getTime() + validityDays * DAY_MS, parent.cert.notAfter.getTime()));
  return { notBefore, notAfter };
}

export interface IssuingCaParts {
  spki: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
}

/**
 * Signs an issuing CA certificate under `parent`: CA, path length 0 (it signs end entities
 * only), with the parent's CRL and caIssuers URLs. Shared by online creation and by signing
 * an offline request (`fleetpki ca sign-request`).
 */
export async function signIssuingCa(parentSigner: Signer, parent: Issuer, parts: IssuingCaParts, publicUrl: string): Promise<Buffer> {
  const urls = caUrls(publicUrl, parent.row.name);
  const tbs = buildTbs(parentSigner, {
    serial: newSerial().der,
    issuer: parent.cert.subjectDer,
    notBefore: parts.notBefore,
    notAfter: parts.notAfter,
    subject: parts.subject,
    spki: parts.spki,
    extensions: [
      basicConstraints(true, 0),
      keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign']),
      subjectKeyIdentifier(keyIdentifier(parts.spki)),
      authorityKeyIdentifier(parent.keyId),
      crlDistributionPoint(urls.crl),
      authorityInfoAccess({ caIssuers: urls.caIssuers }),
    ],
  });
  return signTbs(parentSigner, tbs);
}

export async function createIssuingCa(deps: HierarchyDeps, spec: CaSpec, parent: Issuer, actor: string, now = new Date()): Promise<CasTable> {
  await assertNameFree(deps, spec.name);
  if (parent.row.kind !== 'root') throw new BadRequest(`issuing CAs are created under a root; ${parent.row.name} is an issuing CA`);
  const parentSigner = parent.signer(deps.passphrase);
  const id = newId();
  const { privateKey, publicKey } = generateKeyPair(spec.keyType);
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const der = await signIssuingCa(parentSigner, parent, { spki, subject: encodeName(caName(spec)), ...issuingValidity(parent, spec.validityDays, now) }, deps.publicUrl);
  return record(deps, caRow(id, spec, 'issuing', parent.row.id, der, seal(deps, privateKey, id)), actor, { parent: parent.row.name });
}

/** A root kept offline: only its certificate is imported; issuing CAs under it are signed offline. */
export async function importRootCertificate(deps: HierarchyDeps, name: string, pem: string, actor: string): Promise<CasTable> {
  await assertNameFree(deps, name);
  const info = parseCertificate(pem);
  if (!info.isCa) throw new BadRequest('the certificate is not a CA certificate (basicConstraints cA is not set)');
  if (!info.issuerDer.equals(info.subjectDer) || !isSignedBy(info.der, info.der)) throw new BadRequest('a root certificate must be self-signed');
  if (!info.subjectKeyId) throw new BadRequest('the root certificate has no subject key identifier');
  return record(deps, caRow(newId(), { name, keyType: info.key.name }, 'root', null, info.der, null), actor, { imported: true });
}
