// Certificates out of a file's or request's bytes: a PEM bundle with any number of
// CERTIFICATE blocks, or one DER certificate. A bad block is reported and the good ones are
// kept, since a factory export with one damaged entry still holds useful certificates.

import { BadRequest } from '../errors.ts';
import { pemBlocks } from '../x509/pem.ts';
import { inspectCertificate, type FoundCertificate } from './inspect.ts';

export interface BundleContents {
  certificates: FoundCertificate[];
  /** One line per block that could not be read. */
  problems: string[];
}

function fromPem(text: string): BundleContents {
  const certificates: FoundCertificate[] = [];
  const problems: string[] = [];
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)];
  blocks.forEach((block, i) => {
    if (block[1] !== 'CERTIFICATE' && block[1] !== 'TRUSTED CERTIFICATE') return;
    try {
      const [der] = pemBlocks(block[0]);
      certificates.push(inspectCertificate(der));
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      problems.push(`PEM block ${i + 1}: ${error.message}`);
    }
  });
  if (certificates.length === 0 && problems.length === 0) {
    const labels = [...new Set(blocks.map((b) => b[1]))];
    problems.push(labels.length > 0 ? `no CERTIFICATE block (found ${labels.join(', ')})` : 'no PEM block');
  }
  return { certificates, problems };
}

/** PEM text or a DER certificate; anything else yields no certificate and one problem. */
export function certificatesIn(bytes: Buffer): BundleContents {
  if (bytes.length === 0) return { certificates: [], problems: ['empty'] };
  if (bytes[0] === 0x30) {
    try {
      return { certificates: [inspectCertificate(bytes)], problems: [] };
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      return { certificates: [], problems: [`DER: ${error.message}`] };
    }
  }
  const text = bytes.toString('utf8');
  if (!text.includes('-----BEGIN')) return { certificates: [], problems: ['neither PEM nor a DER certificate'] };
  return fromPem(text);
}
