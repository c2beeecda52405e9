// The CA's one issuing function: build, lint, sign, record, return. It knows nothing of
// protocols or devices' business; every front end reaches it through the RA's approval.

import { NotFound, PolicyDenied } from '../errors.ts';
import { newId } from '../ids.ts';
import type { AuditEvent } from '../audit/log.ts';
import type { GroupCommit, Work } from '../store/group-commit.ts';
import { isUniqueViolation } from '../store/open.ts';
import { insertCertificate } from '../store/repos/certificates.ts';
import type { Kysely } from 'kysely';
import { executeCompiled } from '../store/compiled.ts';
import type { CertificatesTable, Database, DeviceStatus } from '../store/schema.ts';
import type { ApprovedRequest } from '../ra/approve.ts';
import { sha256Hex } from '../x509/certificate.ts';
import { basicConstraints, extKeyUsage, keyIdentifier, keyUsage, subjectAltName, subjectKeyIdentifier, type KeyUsageName } from '../x509/extensions.ts';
import { attributesToString, encodeName } from '../x509/name.ts';
import { formatSan } from '../x509/san.ts';
import { partitionOf } from '../revocation/partition.ts';
import type { Issuer } from './issuer.ts';
import { assertLintClean } from './lint.ts';
import { newSerial } from './serial.ts';
import { caUrls, crlPartitionUrl } from './urls.ts';
import { buildTbs, signTbs } from './sign.ts';

export interface IssueDeps {
  ledger: GroupCommit;
  issuer: (id: string) => Promise<Issuer>;
  passphrase: () => string;
}

const END_ENTITY = basicConstraints(false);

/** Profiles repeat the same usages: encode each combination once. */
const usageCache = new Map<string, Buffer>();
function cachedUsage(kind: 'ku' | 'eku', usages: readonly string[]): Buffer {
  const key = `${kind}:${usages.join(',')}`;
  let der = usageCache.get(key);
  if (!der) {
    der = kind === 'ku' ? keyUsage(usages as KeyUsageName[]) : extKeyUsage(usages);
    usageCache.set(key, der);
  }
  return der;
}

function extensionsFor(request: ApprovedRequest, issuer: Issuer, partition: string): Buffer[] {
  const extensions = [END_ENTITY, cachedUsage('ku', request.keyUsage)];
  if (request.extKeyUsage.length > 0) extensions.push(cachedUsage('eku', request.extKeyUsage));
  extensions.push(subjectKeyIdentifier(keyIdentifier(request.spkiDer)), issuer.childExtensions.aki);
  if (request.sans.length > 0) extensions.push(subjectAltName(request.sans, request.subject.length === 0));
  // The partitioned CRL, so relying parties download a small one (docs/revocation.md).
  extensions.push(issuer.crlDpFor(partition), issuer.childExtensions.aia);
  return extensions;
}

async function signOnce(deps: IssueDeps, request: ApprovedRequest, issuer: Issuer, actor: string, precondition?: Work<void>): Promise<CertificatesTable> {
  const signer = issuer.signer(deps.passphrase);
  const serial = newSerial();
  const subjectDer = encodeName(request.subject);
  const partition = partitionOf(request.notAfter, serial.hex);
  const tbs = buildTbs(signer, {
    serial: serial.der,
    issuer: issuer.cert.subjectDer,
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    subject: subjectDer,
    spki: request.spkiDer,
    extensions: extensionsFor(request, issuer, partition),
  });
  assertLintClean(tbs, {
    issuerSubjectDer: issuer.cert.subjectDer,
    issuerKeyId: issuer.keyId,
    issuerNotBefore: issuer.cert.notBefore,
    issuerNotAfter: issuer.cert.notAfter,
    signatureOid: signer.scheme.oid,
    isCa: false,
    key: request.key,
    keyUsage: request.keyUsage,
    extKeyUsage: request.extKeyUsage,
    subject: request.subject,
    sans: request.sans,
    spkiDer: request.spkiDer,
    urls: { ...caUrls(issuer.publicUrl, issuer.row.name), crl: crlPartitionUrl(issuer.publicUrl, issuer.row.name, partition) },
  });
  const der = await signTbs(signer, tbs);
  const row: CertificatesTable = {
    id: newId(),
    issuer_id: issuer.row.id,
    serial_hex: serial.hex,
    subject: attributesToString(request.subject),
    sans: JSON.stringify(request.sans.map(formatSan)),
    key_type: request.key.name,
    spki_sha256: sha256Hex(request.spkiDer),
    fingerprint_sha256: sha256Hex(der),
    not_before: request.notBefore.toISOString(),
    not_after: request.notAfter.toISOString(),
    renew_after: request.renewAfter.toISOString(),
    status: 'valid',
    revocation_reason: null,
    revoked_at: null,
    profile: request.profile,
    device_id: request.deviceId,
    replaces_id: request.replacesId,
    der,
    created_at: new Date().toISOString(),
  };
  const auditEvent: AuditEvent = {
    actor,
    action: 'certificate.issue',
    target: `certificate:${row.id}`,
    outcome: 'success',
    details: { serial: row.serial_hex, issuer: issuer.row.name, profile: row.profile, device: row.device_id, replaces: row.replaces_id, notAfter: row.not_after },
  };
  await deps.ledger.submit(async (trx, audit) => {
    // The RA approved a device that was live then; it may have been suspended or
    // decommissioned while this was signed. Decide again where the row is written, or a
    // decommissioned device would keep a valid certificate.
    const status = await deviceStatus(trx, request.deviceId);
    if (!status || status === 'suspended' || status === 'decommissioned') {
      throw new PolicyDenied(`device ${request.deviceId} is ${status ?? 'gone'}; the certificate signed for it was discarded`);
    }
    if (precondition) await precondition(trx, audit);
    await insertCertificate(trx, row);
    // A registered device becomes active with its first certificate. The status was read in
    // this transaction, so an active device (every renewal) needs no UPDATE.
    if (status === 'registered') {
      await trx.updateTable('devices').set({ status: 'active', updated_at: row.created_at }).where('id', '=', request.deviceId).where('status', '=', 'registered').execute();
    }
  }, [auditEvent]);
  return row;
}

/** The device's status where the certificate is written (compiled once: it runs for every issuance). */
async function deviceStatus(trx: Kysely<Database>, deviceId: string): Promise<DeviceStatus | undefined> {
  const { rows } = await executeCompiled(trx, 'devices.status', () => trx.selectFrom('devices').select('status').where('id', '=', deviceId), [deviceId]);
  return rows[0]?.status;
}

/**
 * Issues and records one certificate; returned only once it is committed to the inventory.
 * `precondition` runs in the recording transaction: what must still hold when the row is
 * written (a one-time token still unused), decided where no concurrent request can slip in.
 */
export async function issueCertificate(deps: IssueDeps, request: ApprovedRequest, actor: string, precondition?: Work<void>): Promise<CertificatesTable> {
  const issuer = await deps.issuer(request.issuerId);
  if (!issuer.hasKey) throw new NotFound(`CA ${issuer.row.name} has no private key here`);
  for (let attempt = 1; ; attempt++) {
    try {
      return await signOnce(deps, request, issuer, actor, precondition);
    } catch (error) {
      // A 128-bit serial collision is astronomically unlikely, but the unique index is the
      // guarantee: sign again with a fresh serial rather than fail the device.
      if (!isUniqueViolation(error) || attempt >= 3) throw error;
    }
  }
}
