// /api/v1/lifecycle: the scheduled jobs, who holds their leases, how their last runs ended,
// and running one now.

import Type from 'typebox';
import { lifecycleStatus, runJobNow } from '../../lifecycle/operations.ts';
import { lifecycleFor } from '../../lifecycle/service.ts';
import { FreeObject, Nullable, Timestamp } from '../schemas/common.ts';
import type { Api, ApiDeps } from '../types.ts';

const RunView = Type.Object({
  id: Type.String(),
  job: Type.String(),
  holder: Type.String({ description: 'Instance that ran it' }),
  trigger: Type.Enum(['schedule', 'manual']),
  startedAt: Timestamp,
  endedAt: Nullable(Timestamp),
  outcome: Type.Enum(['running', 'success', 'error', 'abandoned']),
  counts: FreeObject,
  error: Nullable(Type.String()),
});

const JobStatus = Type.Object({
  name: Type.String(),
  description: Type.String(),
  enabled: Type.Boolean(),
  intervalSeconds: Type.Integer(),
  lease: Nullable(Type.Object({ holder: Type.String(), acquiredAt: Timestamp, expiresAt: Timestamp, nextRunAt: Timestamp })),
  running: Type.Boolean(),
  lastRun: Nullable(RunView),
});

const Status = Type.Object({ instance: Type.String({ description: 'This server instance' }), now: Timestamp, jobs: Type.Array(JobStatus) });

const RunResult = Type.Object({ runId: Type.String(), outcome: Type.Enum(['success', 'error', 'abandoned']), counts: FreeObject, error: Nullable(Type.String()) });

export function lifecycleRoutes(app: Api, { ctx }: ApiDeps): void {
  const tags = ['lifecycle'];

  app.get('/lifecycle/jobs', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Lifecycle jobs: leases and last runs', response: { 200: Status } },
  }, async () => lifecycleStatus(lifecycleFor(ctx)));

  app.post('/lifecycle/jobs/:name/run', {
    config: { permission: 'operate' },
    schema: {
      tags,
      summary: 'Run a lifecycle job now (409 while another instance runs it)',
      params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }),
      response: { 200: RunResult },
    },
  }, async (request) => {
    const { runId, outcome, counts, error } = await runJobNow(lifecycleFor(ctx), request.params.name, request.actor);
    return { runId, outcome, counts, error };
  });
}
