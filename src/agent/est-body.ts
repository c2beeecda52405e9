// EST bodies are base64 of DER (RFC 7030 4.1.3, with Content-Transfer-Encoding: base64);
// some servers send the DER as is. Either way, the DER.

import { AgentError } from './errors.ts';

export function decodeEstBody(body: Buffer): Buffer {
  if (body[0] === 0x30) return body;
  const text = body.toString('latin1').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new AgentError('the server answered neither base64 nor DER');
  return Buffer.from(text, 'base64');
}
