// The certificates a TLS server sent, read from the bytes it sent: the handshake's Certificate
// message, in the server's order, nothing added and nothing dropped. node:tls offers only the
// chain it rebuilds from issuer links (getPeerCertificate(true)), which leaves out what links
// to nothing, reorders what was sent out of order, and appends an issuer from the client's
// own trust store that the server never sent; discovery is there to see what a device
// actually presents, misconfigurations included.
//
// Up to TLS 1.2 the Certificate message is plaintext (RFC 5246 7.4.2). In TLS 1.3 it is
// encrypted under the server handshake traffic secret (RFC 8446 7.3), which Node hands to a
// 'keylog' listener; the records are decrypted here with it, for that one message only.

import { createDecipheriv, createHmac } from 'node:crypto';

const RECORD_HEADER = 5;
const CONTENT = { changeCipherSpec: 20, alert: 21, handshake: 22, applicationData: 23 } as const;
const HANDSHAKE_CERTIFICATE = 11;

interface Tls13Suite {
  cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  hash: 'sha256' | 'sha384';
  keyLength: number;
}

/** The suites Node's client offers by default (RFC 8446 B.4); CCM is not offered, so never chosen. */
const TLS13_SUITES: Record<string, Tls13Suite> = {
  TLS_AES_128_GCM_SHA256: { cipher: 'aes-128-gcm', hash: 'sha256', keyLength: 16 },
  TLS_AES_256_GCM_SHA384: { cipher: 'aes-256-gcm', hash: 'sha384', keyLength: 32 },
  TLS_CHACHA20_POLY1305_SHA256: { cipher: 'chacha20-poly1305', hash: 'sha256', keyLength: 32 },
};
const TAG_LENGTH = 16;
const IV_LENGTH = 12;

export interface Handshake {
  /** socket.getProtocol(): TLSv1.3, TLSv1.2, ... */
  protocol: string | null;
  /** socket.getCipher().standardName */
  cipher: string | null;
  /** Every byte the server sent up to the end of the handshake, as received. */
  received: Buffer;
  /** SERVER_HANDSHAKE_TRAFFIC_SECRET from the keylog (TLS 1.3). */
  serverHandshakeSecret: Buffer | null;
}

/** Why the message could not be read; the caller falls back to Node's chain and says so. */
export class UnreadableHandshake extends Error {}

function hkdfExpandLabel(hash: string, secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'ascii');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0])]);
  const out: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(out).length < length; i++) {
    previous = createHmac(hash, secret).update(Buffer.concat([previous, info, Buffer.from([i])])).digest();
    out.push(previous);
  }
  return Buffer.concat(out).subarray(0, length);
}

/** Decrypts TLS 1.3 records under one traffic secret, in sequence (RFC 8446 5.2 and 5.3). */
function tls13Decrypter(suite: Tls13Suite, secret: Buffer): (header: Buffer, body: Buffer) => { type: number; content: Buffer } {
  const key = hkdfExpandLabel(suite.hash, secret, 'key', suite.keyLength);
  const iv = hkdfExpandLabel(suite.hash, secret, 'iv', IV_LENGTH);
  let sequence = 0n;
  return (header, body) => {
    if (body.length < TAG_LENGTH + 1) throw new UnreadableHandshake('an encrypted record too short to hold its tag');
    const nonce = Buffer.from(iv);
    const seq = Buffer.alloc(8);
    seq.writeBigUInt64BE(sequence++);
    for (let i = 0; i < 8; i++) nonce[IV_LENGTH - 8 + i] ^= seq[i];
    const decipher = suite.cipher === 'chacha20-poly1305'
      ? createDecipheriv(suite.cipher, key, nonce, { authTagLength: TAG_LENGTH })
      : createDecipheriv(suite.cipher, key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAAD(header);
    decipher.setAuthTag(body.subarray(body.length - TAG_LENGTH));
    let inner: Buffer;
    try {
      inner = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_LENGTH)), decipher.final()]);
    } catch {
      throw new UnreadableHandshake('an encrypted handshake record did not decrypt with the logged secret');
    }
    // TLSInnerPlaintext: content, the real content type, then zero padding.
    let end = inner.length;
    while (end > 0 && inner[end - 1] === 0) end--;
    if (end === 0) throw new UnreadableHandshake('an encrypted record without a content type');
    return { type: inner[end - 1], content: inner.subarray(0, end - 1) };
  };
}

const uint24 = (b: Buffer, at: number) => (b[at] << 16) | (b[at + 1] << 8) | b[at + 2];

/** The bytes of handshake messages, joined across records, decrypting TLS 1.3's as they come. */
function* handshakeBytes(h: Handshake): Generator<Buffer> {
  const suite = h.protocol === 'TLSv1.3' ? TLS13_SUITES[h.cipher ?? ''] : undefined;
  if (h.protocol === 'TLSv1.3' && (!suite || !h.serverHandshakeSecret)) {
    throw new UnreadableHandshake(suite ? 'no handshake secret was logged' : `cipher suite ${h.cipher} is not one this reader decrypts`);
  }
  const decrypt = suite && h.serverHandshakeSecret ? tls13Decrypter(suite, h.serverHandshakeSecret) : null;
  const bytes = h.received;
  for (let at = 0; at + RECORD_HEADER <= bytes.length; ) {
    const header = bytes.subarray(at, at + RECORD_HEADER);
    const length = header.readUInt16BE(3);
    const body = bytes.subarray(at + RECORD_HEADER, at + RECORD_HEADER + length);
    if (body.length < length) break;
    at += RECORD_HEADER + length;
    const type = header[0];
    if (type === CONTENT.handshake) yield body;
    else if (type === CONTENT.applicationData && decrypt) {
      const record = decrypt(header, body);
      if (record.type === CONTENT.handshake) yield record.content;
      else if (record.type === CONTENT.alert) throw new UnreadableHandshake('the server sent an alert before its certificate');
    } else if (type === CONTENT.alert) throw new UnreadableHandshake('the server sent an alert before its certificate');
    else if (type !== CONTENT.changeCipherSpec) throw new UnreadableHandshake(`record type ${type} before the certificate`);
  }
}

function need(body: Buffer, at: number, n: number): void {
  if (at + n > body.length) throw new UnreadableHandshake('a Certificate message cut short');
}

/** The certificate_list of a Certificate message body, as sent (RFC 5246 7.4.2, RFC 8446 4.4.2). */
function certificateList(body: Buffer, tls13: boolean): Buffer[] {
  let at = 0;
  if (tls13) {
    need(body, at, 1);
    at += 1 + body[0]; // certificate_request_context
  }
  need(body, at, 3);
  const end = at + 3 + uint24(body, at);
  need(body, 0, end);
  at += 3;
  const out: Buffer[] = [];
  while (at < end) {
    need(body, at, 3);
    const length = uint24(body, at);
    at += 3;
    need(body, at, length);
    out.push(Buffer.from(body.subarray(at, at + length)));
    at += length;
    if (tls13) {
      need(body, at, 2);
      at += 2 + body.readUInt16BE(at); // the entry's extensions
    }
  }
  if (at !== end) throw new UnreadableHandshake('a Certificate message whose entries overrun it');
  return out;
}

/** DER of every certificate the server sent, in its order (the leaf first, if it kept to the rules). */
export function presentedCertificates(h: Handshake): Buffer[] {
  let pending = Buffer.alloc(0);
  for (const chunk of handshakeBytes(h)) {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const length = uint24(pending, 1);
      if (pending.length < 4 + length) break;
      if (pending[0] === HANDSHAKE_CERTIFICATE) return certificateList(pending.subarray(4, 4 + length), h.protocol === 'TLSv1.3');
      pending = pending.subarray(4 + length);
    }
  }
  throw new UnreadableHandshake('no Certificate message in what the server sent');
}

/** The secret a 'keylog' line carries, if it is the server handshake traffic secret. */
export function serverHandshakeSecretOf(line: Buffer): Buffer | null {
  const [label, , secret] = line.toString('ascii').trim().split(' ');
  return label === 'SERVER_HANDSHAKE_TRAFFIC_SECRET' && secret ? Buffer.from(secret, 'hex') : null;
}
