// Rows to API views where the view needs more than the row (the issuer's name).

import type { Context } from '../app/context.ts';
import type { TokenInfo } from '../app/tokens.ts';
import { certificateView, type CertificateView } from '../app/views.ts';
import type { CertificatesTable } from '../store/schema.ts';

/** The CA registry caches issuers, so naming the issuer of a page of certificates costs no queries. */
export async function presentCertificate(ctx: Context, row: CertificatesTable): Promise<CertificateView> {
  const issuer = await ctx.cas.get(row.issuer_id);
  return certificateView(row, issuer.row.name);
}

export function presentCertificates(ctx: Context, rows: CertificatesTable[]): Promise<CertificateView[]> {
  return Promise.all(rows.map((row) => presentCertificate(ctx, row)));
}

/** camelCase like every other view; the token hash is already gone from TokenInfo. */
export function presentToken(info: TokenInfo) {
  return {
    id: info.id,
    name: info.name,
    role: info.role,
    createdAt: info.created_at,
    expiresAt: info.expires_at,
    lastUsedAt: info.last_used_at,
    revokedAt: info.revoked_at,
  };
}
