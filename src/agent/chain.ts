// Which of the certificates the server handed out chain the new leaf, in order, and a check
// that the chain ends at a CA the agent pins: a certificate the device cannot present with a
// verifiable chain is not installed.

import { X509Certificate } from 'node:crypto';
import { pemBlocks } from '../x509/pem.ts';
import { AgentError } from './errors.ts';

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

/** Intermediates from the leaf's issuer upward (self-signed roots left out), and the anchor they reach. */
export function chainFor(leafDer: Buffer, candidates: Buffer[], pinnedPem: string): Buffer[] {
  const anchors = pemBlocks(pinnedPem, 'CERTIFICATE').map((der) => new X509Certificate(der));
  const pool = candidates.map((der) => ({ der, cert: new X509Certificate(der) })).filter(({ cert }) => cert.ca && cert.issuer !== cert.subject);
  const chain: Buffer[] = [];
  let current = new X509Certificate(leafDer);
  for (let depth = 0; depth < 8; depth++) {
    if (anchors.some((anchor) => issuedBy(current, anchor))) return chain;
    const next = pool.find(({ cert }) => issuedBy(current, cert));
    if (!next) break;
    chain.push(next.der);
    current = next.cert;
  }
  throw new AgentError('the new certificate does not chain to the pinned CA bundle; it was not installed');
}
