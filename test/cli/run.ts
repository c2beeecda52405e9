// Runs the real `fleetpki` CLI as a subprocess, the way an operator would, with the project's
// pinned Node 24. FLEETPKI_* variables of the calling shell (a CI database URL, say) are
// dropped so every test sees only its own temp data directory.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');
export const MAIN = join(ROOT, 'src', 'cli', 'main.ts');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('FLEETPKI_')) env[key] = value;
  // scrypt at its production cost would dominate the run time of every key-sealing command.
  return { ...env, FLEETPKI_SCRYPT_LOG2N: '12', ...extra };
}

export function cli(args: string[], options: { env?: Record<string, string> } = {}): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(NODE, [MAIN, ...args], { cwd: ROOT, env: cliEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

export function tempDir(prefix = 'fleetpki-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The parsed --json result of a command that must succeed; the error names the command and its stderr. */
export function parsed<T = any>(result: Result, what: string): T {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** A CLI bound to one data directory. */
export function fleet(dataDir: string, env: Record<string, string> = {}) {
  const run = (...args: string[]) => cli(['--data-dir', dataDir, ...args], { env });
  const json = async <T = any>(...args: string[]) => parsed<T>(await run(...args, '--json'), args.join(' '));
  return { dataDir, run, json };
}

/** The stdout of a CLI run that must succeed; its stderr is the failure message otherwise. */
export async function ok(result: Promise<{ code: number | null; stderr: string; stdout: string }>): Promise<string> {
  const r = await result;
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}
