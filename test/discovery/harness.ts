// Driving discovery through the REST API as a client would.

import assert from 'node:assert/strict';
import type { ApiHarness } from '../api/harness.ts';

type Json = Record<string, any>;

/** POST a scan, then poll it as a client would until it is no longer running. */
export async function scan(api: ApiHarness, body: Json): Promise<Json> {
  const started = await api.call('POST', '/api/v1/discovery/scans', { body });
  assert.equal(started.statusCode, 202, started.body);
  assert.equal(started.headers.location, `/api/v1/discovery/scans/${started.json().id}`);
  for (let i = 0; i < 200; i++) {
    const run = (await api.call('GET', started.headers.location as string)).json();
    if (run.status !== 'running') return run;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('scan did not finish');
}

export async function findingsAt(api: ApiHarness, query = ''): Promise<Json[]> {
  const response = await api.call('GET', `/api/v1/discovery/findings?limit=1000${query}`);
  assert.equal(response.statusCode, 200, response.body);
  return response.json().items;
}
