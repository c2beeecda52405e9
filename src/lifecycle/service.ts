// The lifecycle of one Context: its clock, its instance id (the lease holder name), its
// settings and jobs. The API, the CLI and `serve` share one per Context; tests make their
// own with a clock they walk.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Context } from '../app/context.ts';
import type { LifecycleConfig } from '../config/lifecycle.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Job } from './jobs/job.ts';
import { builtinJobs } from './jobs/index.ts';

export interface Lifecycle {
  ctx: Context;
  clock: Clock;
  instanceId: string;
  config: LifecycleConfig;
  jobs: Map<string, Job>;
  /** Environment webhook secrets are read from (secretEnv). */
  env: NodeJS.ProcessEnv;
}

export interface LifecycleOptions {
  clock?: Clock;
  instanceId?: string;
  /** Jobs added to (or replacing, by name) the built-in ones. */
  jobs?: Job[];
  env?: NodeJS.ProcessEnv;
}

const shared = new WeakMap<Context, Lifecycle>();

/** host:pid:random, so a restarted process on the same host is a new holder. */
export function newInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** Makes the lifecycle of ctx; it becomes the one the API and CLI of that Context use. */
export function createLifecycle(ctx: Context, options: LifecycleOptions = {}): Lifecycle {
  const jobs = new Map<string, Job>(builtinJobs().map((job) => [job.name, job]));
  for (const job of options.jobs ?? []) jobs.set(job.name, job);
  const lc: Lifecycle = {
    ctx,
    clock: options.clock ?? systemClock,
    instanceId: options.instanceId ?? newInstanceId(),
    config: ctx.config.lifecycle,
    jobs,
    env: options.env ?? process.env,
  };
  shared.set(ctx, lc);
  return lc;
}

export function lifecycleFor(ctx: Context): Lifecycle {
  return shared.get(ctx) ?? createLifecycle(ctx);
}
