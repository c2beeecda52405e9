// The JSON files that cross an air gap (a CRL request, an OCSP responder request) are read
// back the same way: bounded in size, parsed, and checked against their versioned schema
// before anything is done with them, each problem named by its path.

import type { TSchema, Static } from 'typebox';
import Value from 'typebox/value';
import { BadRequest } from '../errors.ts';

export interface OfflineFileKind {
  /** How a person calls it: "CRL request". */
  name: string;
  /** "a" or "an", as "not a CRL request of this version" reads. */
  article: 'a' | 'an';
  /** Its format string, e.g. fleetpki-crl-request/1. */
  format: string;
  maxBytes: number;
}

export function parseOfflineFile<S extends TSchema>(bytes: Buffer, schema: S, kind: OfflineFileKind): Static<S> {
  if (bytes.length > kind.maxBytes) throw new BadRequest(`the ${kind.name} is ${bytes.length} bytes, more than the ${kind.maxBytes} accepted`);
  let input: unknown;
  try {
    input = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new BadRequest(`the ${kind.name} is not JSON: ${(error as Error).message}`);
  }
  const problems = [...Value.Errors(schema, input)].slice(0, 10).map((e) => `${e.instancePath.slice(1).replace(/\//g, '.') || 'request'}: ${e.message}`);
  if (problems.length > 0) throw new BadRequest(`not ${kind.article} ${kind.name} of this version (${kind.format}): ${problems.join('; ')}`);
  return input as Static<S>;
}
