// Enrollment as the EST front end asks for it: an authoriser decides who may get what
// (src/ra/authorisers), then the one issuing path (issueFromCsr) decides the certificate.
// Refusals of either are audited with the actor the authoriser named.

import { AnonymousRefusals } from '../audit/anonymous-refusals.ts';
import { Unauthorized } from '../errors.ts';
import { enrollmentAuthoriser, type EnrollmentAuthoriser, type EnrollmentRequest, type Grant } from '../ra/authorisers/index.ts';
import type { Work } from '../store/group-commit.ts';
import { useBootstrapToken } from '../store/repos/bootstrap-tokens.ts';
import type { CertificatesTable } from '../store/schema.ts';
import type { Context } from './context.ts';
import { issueFromCsr } from './certificates.ts';
import { contextLookups } from './enrollment-lookups.ts';

const authorisers = new WeakMap<Context, EnrollmentAuthoriser>();

function authoriserOf(ctx: Context): EnrollmentAuthoriser {
  let authoriser = authorisers.get(ctx);
  if (!authoriser) authorisers.set(ctx, (authoriser = enrollmentAuthoriser(contextLookups(ctx))));
  return authoriser;
}

export interface Authorised {
  actor: string;
  grant: Grant;
}

/** Refusals no device or token can be named for: sampled per address, route and reason (src/audit/anonymous-refusals.ts). */
const UNIDENTIFIED = new Set(['est:anonymous', 'est:token:unknown']);
const samplers = new WeakMap<Context, AnonymousRefusals>();

function samplerOf(ctx: Context): AnonymousRefusals {
  let sampler = samplers.get(ctx);
  if (!sampler) samplers.set(ctx, (sampler = new AnonymousRefusals()));
  return sampler;
}

/** The authoriser's decision; a refusal is audited and thrown. */
export async function authoriseEnrollment(ctx: Context, request: EnrollmentRequest): Promise<Authorised> {
  const decision = await authoriserOf(ctx).authorise(request);
  if (decision.refusal) {
    const { code, message } = decision.refusal;
    const action = `est.${request.operation}`;
    const target = request.label ? `profile:${request.label}` : null;
    let repeats = 0;
    if (UNIDENTIFIED.has(decision.actor) && request.from) {
      const sample = samplerOf(ctx).sample(request.from, `${action} ${target ?? ''}`, message);
      if (!sample.write) throw decision.refusal;
      repeats = sample.repeats;
    }
    const details = { code, reason: message, ...(request.from ? { from: request.from } : {}), ...(repeats > 0 ? { repeatsUnaudited: repeats } : {}) };
    await ctx.ledger.audit([{ actor: decision.actor, action, target, outcome: 'refused', details }]);
    throw decision.refusal;
  }
  return { actor: decision.actor, grant: decision.grant };
}

/** Marks the grant's bootstrap token used inside the transaction recording the certificate. */
function tokenClaim(actor: string, tokenId: string): Work<void> {
  return async (trx, audit) => {
    const at = new Date().toISOString();
    if (!(await useBootstrapToken(trx, tokenId, at))) throw new Unauthorized('this bootstrap token was used or expired meanwhile; no certificate was issued');
    audit.push({ actor, action: 'bootstrap-token.use', target: `bootstrap-token:${tokenId}`, outcome: 'success' });
  };
}

/** Issues under a grant: the profile's checks, then the authoriser's, then the CA. */
export function issueUnderGrant(ctx: Context, { actor, grant }: Authorised, csr: string | Uint8Array): Promise<CertificatesTable> {
  return issueFromCsr(
    ctx,
    {
      csr,
      profile: grant.profile,
      deviceId: grant.deviceId,
      replaces: grant.replaces,
      validators: grant.validators,
      precondition: grant.consumesToken ? tokenClaim(actor, grant.consumesToken) : undefined,
    },
    actor,
  );
}

export async function enroll(ctx: Context, request: EnrollmentRequest, csr: string | Uint8Array): Promise<CertificatesTable> {
  return issueUnderGrant(ctx, await authoriseEnrollment(ctx, request), csr);
}
