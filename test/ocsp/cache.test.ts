// The response cache's two guarantees that no end-to-end test can time reliably: a response
// signed from a status read before a revocation is never stored after it, and memory stays
// bounded (least recently served responses go first).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResponseCache, type CachedResponse } from '../../src/ocsp/cache.ts';

function entry(n: number, certificateId: string | null = `cert-${n}`, nextUpdate = Date.now() + 60_000): CachedResponse {
  const date = new Date(nextUpdate);
  return {
    der: Buffer.from([n]),
    certId: { der: Buffer.from(`certid-${n}`), hashOid: '1.3.14.3.2.26', issuerNameHash: Buffer.alloc(20), issuerKeyHash: Buffer.alloc(20), serialHex: n.toString(16) },
    caId: 'ca',
    certificateId,
    status: { kind: 'good' },
    caching: { thisUpdate: new Date(), nextUpdate: date, lastModified: '', expires: date.toUTCString(), etag: `"${n}"` },
    used: false,
  };
}

describe('ResponseCache', () => {
  it('refuses a response whose status was read before a revocation that came in while it was signed', () => {
    const cache = new ResponseCache(100);
    const epoch = cache.epoch;
    cache.invalidate(['cert-1']); // the revocation lands between the status read and the store
    assert.equal(cache.set('k1', entry(1), epoch), false);
    assert.equal(cache.get('k1', Date.now()), undefined);
    assert.equal(cache.set('k1', entry(1), cache.epoch), true);
  });

  it("removes exactly the revoked certificate's responses, under every CertID encoding", () => {
    const cache = new ResponseCache(100);
    cache.set('sha1', entry(1), cache.epoch);
    cache.set('sha256', entry(1), cache.epoch);
    cache.set('other', entry(2), cache.epoch);
    cache.set('unknown-serial', entry(3, null), cache.epoch);
    const removed = cache.invalidate(['cert-1']);
    assert.equal(removed.length, 2);
    assert.equal(cache.size, 2);
    assert.ok(cache.get('other', Date.now()));
  });

  it('evicts the least recently served response beyond its bound, and never serves one past nextUpdate', () => {
    const cache = new ResponseCache(2);
    cache.set('a', entry(1), cache.epoch);
    cache.set('b', entry(2), cache.epoch);
    assert.ok(cache.get('a', Date.now())); // a is now the most recent
    cache.set('c', entry(3), cache.epoch);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b', Date.now()), undefined);
    assert.ok(cache.get('a', Date.now()));
    cache.set('d', entry(4, 'cert-4', Date.now() - 1), cache.epoch);
    assert.equal(cache.get('d', Date.now()), undefined);
  });
});
