// EST labels (RFC 7030 3.2.2: /.well-known/est/<label>/<operation>) are fleetpki profile
// names: the label chooses the profile, and with it the issuing CA.

import type { FastifyRequest } from 'fastify';
import type { Context } from '../app/context.ts';
import { getProfile } from '../app/profiles.ts';
import { NotFound } from '../errors.ts';
import type { Profile } from '../ra/profile.ts';

export const EST_BASE = '/.well-known/est';

/** The URLs of an operation: without and with a label. */
export const operationPaths = (operation: string) => [`${EST_BASE}/${operation}`, `${EST_BASE}/:label/${operation}`];

export function labelOf(request: FastifyRequest): string | null {
  return (request.params as { label?: string }).label ?? null;
}

/** The profile a label names; an unknown label is 404, as for any URL that names nothing. */
export async function labelProfile(ctx: Context, label: string | null): Promise<Profile | null> {
  if (label === null) return null;
  return getProfile(ctx, label).catch((error) => {
    throw error instanceof NotFound ? new NotFound(`no EST label ${label}: labels are profile names (fleetpki profile list)`) : error;
  });
}
