// A progress bar for long factory jobs, on stderr so stdout keeps only the result. On a
// terminal it redraws one line; elsewhere (--progress into a log file) it prints a line at
// every tenth, since carriage returns in a log are noise.

export interface Progress {
  advance(count?: number): void;
  done(): void;
}

export const noProgress: Progress = { advance: () => undefined, done: () => undefined };

export interface ProgressTarget {
  isTTY?: boolean;
  write(text: string): unknown;
}

const WIDTH = 30;
const REDRAW_MS = 100;

export function progressBar(label: string, total: number, target: ProgressTarget, now: () => number = Date.now): Progress {
  const started = now();
  let count = 0;
  let drawn = 0;
  let lastTenth = -1;
  const render = () => {
    const fraction = total === 0 ? 1 : count / total;
    const filled = Math.round(fraction * WIDTH);
    const rate = count / Math.max((now() - started) / 1000, 0.001);
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${count}/${total} ${Math.floor(fraction * 100)}% ${Math.round(rate)}/s`;
  };
  const draw = () => {
    if (target.isTTY) {
      if (now() - drawn < REDRAW_MS && count < total) return;
      drawn = now();
      target.write(`\r${render()}`);
      return;
    }
    const tenth = total === 0 ? 10 : Math.floor((count * 10) / total);
    if (tenth > lastTenth) {
      lastTenth = tenth;
      target.write(`${render()}\n`);
    }
  };
  return {
    advance(n = 1) {
      count += n;
      draw();
    },
    done() {
      if (target.isTTY) target.write(`\r${render()}\n`);
      else if (lastTenth < 10) target.write(`${render()}\n`);
    },
  };
}

/** On stderr when it is a terminal, or when asked for (--progress); otherwise nothing. */
export function stderrProgress(label: string, total: number, forced: boolean | undefined): Progress {
  return forced || process.stderr.isTTY ? progressBar(label, total, process.stderr) : noProgress;
}
