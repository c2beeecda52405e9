// The state directory: the operational key (key.pem), its certificate (cert.pem), the
// intermediate CA certificates that chain it (chain.pem) and the pinned CA bundle the agent
// trusts the EST server by (ca.pem), all 0600 in a 0700 directory.
//
// A renewal generates a new key. It is staged as key.pem.next before the request goes out;
// only when the new certificate is on disk (cert.pem.next) do both move into place. A crash
// between the renames is repaired by settle() on the next start, which pairs the
// certificate with whichever key matches it.

import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate, type CertificateInfo } from '../x509/certificate.ts';
import { pemBlocks, toPem } from '../x509/pem.ts';
import { AgentError } from './errors.ts';
import { ensurePrivateDir, readIfExists, removeIfExists, renameAtomic, writeFileAtomic } from './files.ts';

export const STATE_FILES = { key: 'key.pem', cert: 'cert.pem', chain: 'chain.pem', ca: 'ca.pem', renewAfter: 'renew-after.json' } as const;
const NEXT = '.next';

export interface CurrentCertificate {
  pem: string;
  info: CertificateInfo;
  /** Intermediates, leaf's issuer first (PEM); empty when the leaf is signed by a root. */
  chainPem: string;
  /** The server's renewal point for this certificate (Fleetpki-Renew-After), when it sent one. */
  serverRenewAfter: Date | null;
}

export class StateDir {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  create(): void {
    ensurePrivateDir(this.dir);
  }

  /** The pinned CA bundle (PEM): the only trust anchors the agent accepts the server by. */
  caBundle(): string {
    const bytes = readIfExists(this.path(STATE_FILES.ca));
    if (!bytes) throw new AgentError(`no CA bundle at ${this.path(STATE_FILES.ca)}: enrol with --ca first`);
    return bytes.toString('utf8');
  }

  writeCaBundle(pem: string): void {
    if (pemBlocks(pem, 'CERTIFICATE').length === 0) throw new AgentError('the CA bundle holds no CERTIFICATE block');
    writeFileAtomic(this.path(STATE_FILES.ca), pem);
  }

  current(): CurrentCertificate | null {
    this.settle();
    const bytes = readIfExists(this.path(STATE_FILES.cert));
    if (!bytes) return null;
    const pem = bytes.toString('utf8');
    const info = parseCertificate(pem);
    const at = this.renewAfterPoints()[info.fingerprintSha256];
    return { pem, info, chainPem: readIfExists(this.path(STATE_FILES.chain))?.toString('utf8') ?? '', serverRenewAfter: at ? new Date(at) : null };
  }

  /**
   * Renewal points the server sent, by certificate fingerprint: the current certificate's and
   * the one being installed, so neither loses its point whichever a crash leaves in place.
   * An unreadable file is as good as none: the agent falls back to its renewAfter setting.
   */
  private renewAfterPoints(): Record<string, string> {
    try {
      const parsed: unknown = JSON.parse(readIfExists(this.path(STATE_FILES.renewAfter))?.toString('utf8') ?? '{}');
      if (!parsed || typeof parsed !== 'object') return {};
      return Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === 'string' && !Number.isNaN(Date.parse(v))));
    } catch {
      return {};
    }
  }

  rememberRenewAfter(fingerprintSha256: string, at: Date): void {
    const points = this.renewAfterPoints();
    const current = readIfExists(this.path(STATE_FILES.cert));
    const keep = current ? parseCertificate(current).fingerprintSha256 : null;
    const next: Record<string, string> = keep && points[keep] ? { [keep]: points[keep] } : {};
    next[fingerprintSha256] = at.toISOString();
    writeFileAtomic(this.path(STATE_FILES.renewAfter), `${JSON.stringify(next, null, 2)}\n`);
  }

  /** The operational private key, when the agent holds it in key.pem (not with a key command). */
  privateKey(): KeyObject | null {
    const bytes = readIfExists(this.path(STATE_FILES.key));
    return bytes ? createPrivateKey(bytes) : null;
  }

  /** Keeps a freshly generated key on disk before its request leaves, so a reply is never orphaned. */
  stageKey(key: KeyObject): void {
    writeFileAtomic(this.path(STATE_FILES.key + NEXT), key.export({ format: 'pem', type: 'pkcs8' }) as string);
  }

  stagedKey(): KeyObject | null {
    const bytes = readIfExists(this.path(STATE_FILES.key + NEXT));
    return bytes ? createPrivateKey(bytes) : null;
  }

  /** Puts a new certificate (and the staged key, if any) in place of the current ones. */
  install(certDer: Buffer, intermediates: Buffer[]): CurrentCertificate {
    writeFileAtomic(this.path(STATE_FILES.chain + NEXT), intermediates.map((der) => toPem(der, 'CERTIFICATE')).join(''));
    writeFileAtomic(this.path(STATE_FILES.cert + NEXT), toPem(certDer, 'CERTIFICATE'));
    this.settle();
    const current = this.current();
    if (!current) throw new AgentError('the new certificate did not reach its place');
    return current;
  }

  /** Completes an interrupted install; drops a new certificate that matches no key. */
  settle(): void {
    const certNext = this.path(STATE_FILES.cert + NEXT);
    const certBytes = readIfExists(certNext);
    if (!certBytes) return;
    const spki = parseCertificate(certBytes).spkiDer;
    const stagedPath = this.path(STATE_FILES.key + NEXT);
    const matches = (path: string) => {
      const bytes = readIfExists(path);
      return bytes !== null && spkiOf(createPrivateKey(bytes)).equals(spki);
    };
    if (matches(stagedPath)) renameAtomic(stagedPath, this.path(STATE_FILES.key));
    const keyHeldElsewhere = !existsSync(this.path(STATE_FILES.key));
    if (keyHeldElsewhere || matches(this.path(STATE_FILES.key))) {
      if (existsSync(this.path(STATE_FILES.chain + NEXT))) renameAtomic(this.path(STATE_FILES.chain + NEXT), this.path(STATE_FILES.chain));
      renameAtomic(certNext, this.path(STATE_FILES.cert));
      return;
    }
    removeIfExists(certNext);
    removeIfExists(this.path(STATE_FILES.chain + NEXT));
  }
}

export function spkiOf(key: KeyObject): Buffer {
  return createPublicKey(key).export({ format: 'der', type: 'spki' });
}
