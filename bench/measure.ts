// Bounded measurement helpers: every loop stops on a count or a deadline, whichever comes first.

export interface Rate {
  ops: number;
  seconds: number;
  perSecond: number;
  p50ms?: number;
  p99ms?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Runs `op` with `concurrency` workers until `maxOps` are done or `maxSeconds` pass. */
export async function measure(op: (i: number) => Promise<unknown>, options: { concurrency: number; maxOps: number; maxSeconds: number }): Promise<Rate> {
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + options.maxSeconds * 1000;
  let next = 0;
  async function worker() {
    while (next < options.maxOps && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      await op(i);
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length, seconds, perSecond: latencies.length / seconds, p50ms: percentile(latencies, 0.5), p99ms: percentile(latencies, 0.99) };
}

export function format(rate: Rate): string {
  const latency = rate.p50ms === undefined ? '' : `  p50 ${rate.p50ms.toFixed(2)} ms  p99 ${rate.p99ms!.toFixed(2)} ms`;
  return `${rate.perSecond.toFixed(0).padStart(7)} /s  (${rate.ops} in ${rate.seconds.toFixed(2)} s)${latency}`;
}
