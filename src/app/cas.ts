import { createIssuingCa, importRootCertificate } from '../ca/hierarchy.ts';
import type { CaSpec } from '../config/schema.ts';
import { NotFound } from '../errors.ts';
import { getCaByName, listCas as listRows } from '../store/repos/cas.ts';
import type { CasTable } from '../store/schema.ts';
import { toPem } from '../x509/pem.ts';
import type { Context } from './context.ts';
import { hierarchyDeps } from './init.ts';
import { audited } from './refusal.ts';

/** What the API and CLI show of a CA: never the sealed key. */
export interface CaView {
  id: string;
  name: string;
  kind: CasTable['kind'];
  status: CasTable['status'];
  parent: string | null;
  keyType: string;
  subject: string;
  serial: string;
  subjectKeyId: string;
  notBefore: string;
  notAfter: string;
  hasKey: boolean;
  certificatePem: string;
}

export function caView(row: CasTable, parentName: string | null): CaView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    status: row.status,
    parent: parentName,
    keyType: row.key_type,
    subject: row.subject,
    serial: row.serial_hex,
    subjectKeyId: row.ski_hex,
    notBefore: row.not_before,
    notAfter: row.not_after,
    hasKey: row.encrypted_key !== null,
    certificatePem: toPem(row.certificate_der, 'CERTIFICATE'),
  };
}

export async function listCas(ctx: Context): Promise<CaView[]> {
  const rows = await listRows(ctx.db);
  const names = new Map(rows.map((r) => [r.id, r.name]));
  return rows.map((row) => caView(row, row.parent_id ? (names.get(row.parent_id) ?? null) : null));
}

export async function getCa(ctx: Context, name: string): Promise<CaView> {
  const row = await getCaByName(ctx.db, name);
  if (!row) throw new NotFound(`no CA named ${name}`);
  const parent = row.parent_id ? (await ctx.cas.get(row.parent_id)).row.name : null;
  return caView(row, parent);
}

/** PEM chain from the CA up to its root, the root last. */
export async function caChainPem(ctx: Context, name: string): Promise<string> {
  let issuer = await ctx.cas.byName(name);
  const pems = [toPem(issuer.row.certificate_der, 'CERTIFICATE')];
  while (issuer.row.parent_id) {
    issuer = await ctx.cas.get(issuer.row.parent_id);
    pems.push(toPem(issuer.row.certificate_der, 'CERTIFICATE'));
  }
  return pems.join('');
}

export async function createIssuing(ctx: Context, spec: CaSpec, parentName: string, actor: string): Promise<CaView> {
  return audited(ctx, actor, 'ca.create', `ca:${spec.name}`, async () => {
    const parent = await ctx.cas.byName(parentName);
    const row = await createIssuingCa(hierarchyDeps(ctx), spec, parent, actor);
    return caView(row, parent.row.name);
  });
}

export async function importRoot(ctx: Context, name: string, pem: string, actor: string): Promise<CaView> {
  return audited(ctx, actor, 'ca.import', `ca:${name}`, async () => caView(await importRootCertificate(hierarchyDeps(ctx), name, pem, actor), null));
}
