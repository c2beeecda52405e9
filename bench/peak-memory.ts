// Time and memory of one benchmark phase. Peak RSS comes from the kernel (VmHWM, reset before
// the phase through /proc/self/clear_refs), so it is exact even while a synchronous
// node:sqlite call keeps timers from firing; peak heapUsed is sampled every 5 ms and once at
// the end, a lower bound for SQLite phases for that reason. Linux only for RSS; elsewhere
// the sampled RSS is printed instead.

import { readFileSync, writeFileSync } from 'node:fs';

export interface PhaseResult {
  ms: number;
  rssMb: number;
  /** Peak RSS above the RSS at the phase's start: what the phase itself needed. */
  rssGrowthMb: number;
  heapMb: number;
}

function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function kernelPeakRssMb(): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const mb = (bytes: number) => bytes / 1024 / 1024;

/** Runs `fn` `runs` times; the time is the median run, the memory the peak over all runs. */
export async function phase(fn: () => Promise<unknown>, runs = 1): Promise<PhaseResult> {
  (globalThis as { gc?: () => void }).gc?.();
  const kernel = resetPeakRss();
  const rssAtStart = process.memoryUsage().rss;
  let heap = 0;
  let rss = 0;
  const sample = () => {
    const m = process.memoryUsage();
    heap = Math.max(heap, m.heapUsed);
    rss = Math.max(rss, m.rss);
  };
  const timer = setInterval(sample, 5);
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await fn();
      times.push(performance.now() - start);
      sample();
    }
  } finally {
    clearInterval(timer);
  }
  times.sort((a, b) => a - b);
  const peak = kernel ? kernelPeakRssMb() : null;
  const rssMb = peak ?? mb(rss);
  return { ms: times[Math.floor(times.length / 2)], rssMb, rssGrowthMb: Math.max(0, rssMb - mb(rssAtStart)), heapMb: mb(heap) };
}
