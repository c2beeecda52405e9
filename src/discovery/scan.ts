// Scanning TLS endpoints: parse the targets, start the run, probe them with bounded
// concurrency and a timeout each. An endpoint that does not answer is an error recorded for
// that target, never a failed run.

import type { Context } from '../app/context.ts';
import { audited } from '../app/refusal.ts';
import { BadRequest } from '../errors.ts';
import type { DiscoveryRunRow } from '../store/repos/discovery-runs.ts';
import { executeRun, type RunHooks } from './execute.ts';
import { inspectCertificate } from './inspect.ts';
import { MAX_TARGETS, runOptions, type RunOptions } from './options.ts';
import { forEachLimited } from './pool.ts';
import type { Presented, TargetOutcome } from './record.ts';
import { startRun } from './runs.ts';
import { parseTargets, type Target } from './targets.ts';
import { probeTls, ProbeError } from './tls-probe.ts';

export interface ScanRequest extends Partial<RunOptions> {
  targets: string[];
}

export interface RunHandle {
  run: DiscoveryRunRow;
  /** Resolves with the finished run record (completed, interrupted or failed). */
  done: Promise<DiscoveryRunRow>;
}

/** The leaf first, then the CA certificates the server sent; one unreadable certificate spoils only itself. */
function presented(chain: Buffer[]): { certificates: Presented[]; problems: string[] } {
  const certificates: Presented[] = [];
  const problems: string[] = [];
  chain.forEach((der, i) => {
    try {
      certificates.push({ found: inspectCertificate(der), role: i === 0 ? 'leaf' : 'chain' });
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      problems.push(`certificate ${i + 1} of the chain: ${error.message}`);
    }
  });
  return { certificates, problems };
}

export async function scanTarget(target: Target, timeoutMs: number, signal?: AbortSignal): Promise<TargetOutcome> {
  const base = { target: target.location, source: 'endpoint' as const };
  try {
    const probe = await probeTls(target, timeoutMs, signal);
    const { certificates, problems } = presented(probe.chain);
    const outcome = problems.length === 0 ? 'ok' : certificates.length > 0 ? 'partial' : 'error';
    const details = {
      protocol: probe.protocol,
      cipher: probe.cipher,
      serverName: target.serverName,
      chainLength: probe.chain.length,
      chainSource: probe.chainSource,
      ...(probe.chainNote ? { chainNote: probe.chainNote } : {}),
    };
    return { ...base, outcome, error: problems.length > 0 ? problems.join('; ') : null, certificates, details };
  } catch (error) {
    if (!(error instanceof ProbeError)) throw error;
    return { ...base, outcome: 'error', error: error.message, certificates: [], details: { serverName: target.serverName } };
  }
}

export async function startScan(ctx: Context, request: ScanRequest, actor: string, hooks: RunHooks = {}): Promise<RunHandle> {
  const { targets: inputs, ...given } = request;
  const { targets, options } = await audited(ctx, actor, 'discovery.scan.start', null, async () => ({ targets: parseTargets(inputs, MAX_TARGETS), options: runOptions(given) }));
  const run = await startRun(ctx, 'scan', actor, options, targets.length, { options });
  const done = executeRun(ctx, run, options, hooks, (record) =>
    forEachLimited(targets, options.concurrency, async (target) => record(await scanTarget(target, options.timeoutMs, hooks.signal)), hooks.signal),
  );
  return { run, done };
}
