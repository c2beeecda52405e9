// One agent at a time per state directory: `run` holds <state>/agent.lock for its lifetime,
// `enroll` and `renew` while they work, so a manual renewal never races the daemon's (both
// would stage a key and one certificate would be thrown away). The lock file holds the pid;
// a lock left by a process that no longer exists is taken over.

import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from './errors.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Takes the lock or says who holds it; returns the function that releases it. */
export function lockStateDir(dir: string): () => void {
  const path = join(dir, 'agent.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(path)) return () => rmSync(path, { force: true });
    const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
      throw new AgentError(`another fleetpki-agent (pid ${holder}) is working on ${dir}; \`run\` renews on its own, stop it to renew by hand`);
    }
    rmSync(path, { force: true });
  }
  throw new AgentError(`cannot take the lock ${path}`);
}

export async function withLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const release = lockStateDir(dir);
  try {
    return await work();
  } finally {
    release();
  }
}
