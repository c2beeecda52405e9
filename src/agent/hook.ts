// --on-renew: a shell command run after each new certificate, so the service using it (an
// MQTT client, a web server) can reload. Its failure is logged, never fatal: the certificate
// is installed either way.

import { spawn } from 'node:child_process';
import type { AgentLog } from './log.ts';

export function runHookCommand(command: string, env: Record<string, string>, log: AgentLog): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', (error) => {
      log.warn('on-renew command could not start', { error: error.message });
      resolve();
    });
    child.on('close', (code) => {
      if (code !== 0) log.warn('on-renew command failed', { exitCode: code, stderr: err.trim().slice(0, 500) });
      resolve();
    });
  });
}
