// /api/v1/exports: the whole inventory as CSV or JSON, streamed a batch at a time
// (src/reporting/export-format.ts), so a million rows never sit in memory at once and the
// first bytes leave before the last rows are read.

import { Readable } from 'node:stream';
import Type from 'typebox';
import { EXPORT_MEDIA_TYPES, exportChunks, type ExportFormat, type ExportKind } from '../../reporting/export-format.ts';
import type { Api, ApiDeps } from '../types.ts';

const EXPORTS: ReadonlyArray<[ExportKind, ExportFormat]> = [
  ['certificates', 'csv'],
  ['certificates', 'json'],
  ['devices', 'csv'],
  ['devices', 'json'],
];

export function exportRoutes(app: Api, { ctx }: ApiDeps): void {
  for (const [kind, format] of EXPORTS) {
    const file = `${kind}.${format}`;
    app.get(`/exports/${file}`, {
      config: { permission: 'read' },
      schema: {
        tags: ['exports'],
        summary: `Every ${kind === 'certificates' ? 'certificate (without its DER) with its device and issuer' : 'device'} as ${format.toUpperCase()}`,
        response: { 200: { description: `${file}, streamed`, content: { [EXPORT_MEDIA_TYPES[format].split(';')[0]]: { schema: Type.String() } } } },
      },
    }, async (_request, reply) => {
      reply.type(EXPORT_MEDIA_TYPES[format]).header('content-disposition', `attachment; filename="${file}"`);
      // A stream bypasses response serialization; the schema above only documents the body.
      return reply.send(Readable.from(exportChunks(ctx.db, kind, format)) as unknown as string);
    });
  }
}
