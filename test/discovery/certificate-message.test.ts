// The Certificate message reader on hand-built TLS 1.2 records: certificates come back as
// sent, in order, across record boundaries; whatever is cut short, out of place or unreadable
// is an UnreadableHandshake naming why (the probe then falls back and records the reason).
// Live TLS 1.2 and 1.3 servers are in tls-chain.test.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presentedCertificates, serverHandshakeSecretOf, UnreadableHandshake } from '../../src/discovery/tls-certificate-message.ts';

const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const record = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 3, 3, body.length >> 8, body.length & 0xff]), body]);
const message = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type]), u24(body.length), body]);

function certificateMessage(certs: Buffer[]): Buffer {
  const list = Buffer.concat(certs.map((c) => Buffer.concat([u24(c.length), c])));
  return message(11, Buffer.concat([u24(list.length), list]));
}

const serverHello = message(2, Buffer.alloc(38, 1));
const certs = [Buffer.from('leaf certificate'), Buffer.from('stray'), Buffer.from('issuing CA')];
const tls12 = (received: Buffer) => presentedCertificates({ protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256', received, serverHandshakeSecret: null });

describe('Certificate message reader', () => {
  it('returns every certificate as sent, in order, after other handshake messages', () => {
    assert.deepEqual(tls12(record(22, Buffer.concat([serverHello, certificateMessage(certs)]))), certs);
  });

  it('joins a message split over several records', () => {
    const bytes = Buffer.concat([serverHello, certificateMessage(certs)]);
    const records = Buffer.concat([record(22, bytes.subarray(0, 7)), record(22, bytes.subarray(7, 50)), record(22, bytes.subarray(50))]);
    assert.deepEqual(tls12(records), certs);
  });

  const refusals: Array<[string, Buffer, RegExp]> = [
    ['a handshake cut off before the certificate', record(22, serverHello), /no Certificate message/],
    ['a certificate longer than its list', record(22, message(11, Buffer.concat([u24(4), u24(200), Buffer.from('ab')]))), /cut short/],
    ['an alert instead of a certificate', Buffer.concat([record(22, serverHello), record(21, Buffer.from([2, 40]))]), /alert before its certificate/],
    ['application data in TLS 1.2 before the certificate', Buffer.concat([record(22, serverHello), record(23, Buffer.alloc(20))]), /record type 23/],
  ];
  for (const [name, bytes, reason] of refusals) {
    it(`refuses ${name}`, () => {
      assert.throws(() => tls12(bytes), (e: unknown) => e instanceof UnreadableHandshake && reason.test(e.message));
    });
  }

  it('refuses TLS 1.3 without the handshake secret, or under a suite it does not decrypt', () => {
    const received = record(22, serverHello);
    assert.throws(() => presentedCertificates({ protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', received, serverHandshakeSecret: null }), /no handshake secret/);
    assert.throws(() => presentedCertificates({ protocol: 'TLSv1.3', cipher: 'TLS_AES_128_CCM_8_SHA256', received, serverHandshakeSecret: Buffer.alloc(32) }), /not one this reader decrypts/);
  });

  it('refuses a TLS 1.3 record the logged secret does not decrypt', () => {
    const received = Buffer.concat([record(22, serverHello), record(23, Buffer.alloc(40, 7))]);
    assert.throws(() => presentedCertificates({ protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', received, serverHandshakeSecret: Buffer.alloc(32, 1) }), /did not decrypt/);
  });

  it('takes the server handshake secret from its keylog line and nothing else', () => {
    const random = 'ab'.repeat(32);
    assert.deepEqual(serverHandshakeSecretOf(Buffer.from(`SERVER_HANDSHAKE_TRAFFIC_SECRET ${random} ${'0f'.repeat(48)}\n`)), Buffer.alloc(48, 0x0f));
    assert.equal(serverHandshakeSecretOf(Buffer.from(`CLIENT_HANDSHAKE_TRAFFIC_SECRET ${random} ${'0f'.repeat(48)}\n`)), null);
  });
});
