// An oversized body over a real socket: the client gets its 413 and the JSON error, however
// large the body it is still sending (the server reads and drops the rest, up to 4 MiB,
// before answering and closing), and the server goes on answering.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer } from '../../src/api/server.ts';
import { openTestFleet, type TestFleet } from '../helpers/context.ts';

let fleet: TestFleet;
let server: { url: string; close(): Promise<void> };
before(async () => {
  fleet = await openTestFleet({ listen: '127.0.0.1:0' });
  server = await startServer(fleet.ctx);
});
after(async () => {
  await server?.close();
  await fleet?.close();
});

test('bodies of 100 kB, 1 MB and 3 MB get 413 with the JSON error, three times each', async () => {
  for (const size of [100_000, 1_000_000, 3_000_000]) {
    const body = JSON.stringify({ csr: 'A'.repeat(size), profile: 'sensor' });
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${server.url}/api/v1/certificates`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fleet.adminToken}`, 'content-type': 'application/json' },
        body,
      });
      assert.equal(response.status, 413, `${size} bytes`);
      const error: any = await response.json();
      assert.equal(error.error.code, 'payload_too_large');
    }
  }
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200);
  await health.arrayBuffer();
});
