// Importing certificate files (a factory's export, a folder of device certificates) or a PEM
// bundle sent to the API. Each file is a target of the run: a garbage file is reported with
// its reason and the others are imported.

import { readFileSync, statSync } from 'node:fs';
import type { Context } from '../app/context.ts';
import { audited } from '../app/refusal.ts';
import { BadRequest } from '../errors.ts';
import type { DiscoveryRunRow } from '../store/repos/discovery-runs.ts';
import type { DiscoverySource } from '../store/schema.ts';
import { certificatesIn } from './bundle.ts';
import { executeRun, type RunHooks } from './execute.ts';
import { listSources, MAX_FILE_BYTES, type FileSource } from './file-sources.ts';
import type { FoundCertificate } from './inspect.ts';
import { runOptions, type RunOptions } from './options.ts';
import type { Presented, TargetOutcome } from './record.ts';
import { startRun } from './runs.ts';
import { isSelfSigned } from './trust.ts';

/** Signed another certificate of the same file: it is that one's chain, not a device's own. */
function issuedAnother(cert: FoundCertificate, all: FoundCertificate[]): boolean {
  return all.some((other) => other !== cert && other.issuerDer.equals(cert.subjectDer) && !isSelfSigned(other));
}

export function outcomeOf(target: string, source: DiscoverySource, bytes: Buffer): TargetOutcome {
  const { certificates, problems } = certificatesIn(bytes);
  const role = (c: FoundCertificate) => (c.isCa && issuedAnother(c, certificates) ? 'chain' : 'leaf');
  const list: Presented[] = certificates.map((found) => ({ found, role: role(found) }));
  const outcome = problems.length === 0 ? 'ok' : list.length > 0 ? 'partial' : 'error';
  return { target, source, outcome, error: problems.length > 0 ? problems.join('; ') : null, certificates: list, details: { bytes: bytes.length, certificates: list.length, problems } };
}

function readSource(source: FileSource): TargetOutcome {
  const failed = (error: string): TargetOutcome => ({ target: source.path, source: 'file', outcome: 'error', error, certificates: [], details: {} });
  if (source.problem) return failed(source.problem);
  try {
    const size = statSync(source.path).size;
    if (size > MAX_FILE_BYTES) return failed(`${size} bytes; certificate files larger than ${MAX_FILE_BYTES} bytes are not read`);
    return outcomeOf(source.path, 'file', readFileSync(source.path));
  } catch (error) {
    return failed(`cannot read: ${(error as Error).message}`);
  }
}

export async function importFiles(ctx: Context, paths: string[], given: Partial<RunOptions>, actor: string, hooks: RunHooks = {}): Promise<DiscoveryRunRow> {
  const options = await audited(ctx, actor, 'discovery.import.start', null, async () => {
    if (paths.length === 0) throw new BadRequest('no files or folders to import');
    return runOptions(given);
  });
  const sources = listSources(paths);
  const run = await startRun(ctx, 'import', actor, options, sources.length, { paths });
  return executeRun(ctx, run, options, hooks, async (record) => {
    for (const source of sources) {
      if (hooks.signal?.aborted) break;
      await record(readSource(source));
    }
  });
}

/** A PEM bundle or DER certificate given in a request; `label` names where it came from. */
export async function importBundle(ctx: Context, bytes: Buffer, label: string, given: Partial<RunOptions>, actor: string): Promise<DiscoveryRunRow> {
  const target = `upload:${label}`;
  const { options, outcome } = await audited(ctx, actor, 'discovery.import.start', target, async () => {
    const outcome = outcomeOf(target, 'upload', bytes);
    // Nothing readable at all: the request is wrong, and no run is recorded for it.
    if (outcome.certificates.length === 0) throw new BadRequest(`no certificate in the bundle: ${outcome.error}`);
    return { options: runOptions(given), outcome };
  });
  const run = await startRun(ctx, 'import', actor, options, 1, { upload: label });
  return executeRun(ctx, run, options, {}, (record) => record(outcome));
}
