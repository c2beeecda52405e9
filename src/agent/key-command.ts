// A key the agent never sees: an external command (a secure element's or a TPM's tool, or a
// script around one) is asked for its public key and for signatures. The protocol, also in
// docs/agent.md:
//
//   <command> public-key          -> stdout: the public key, PEM "PUBLIC KEY" (SPKI)
//   <command> sign <digest>       <- stdin: the exact bytes to sign (DER)
//                                 -> stdout: the signature, base64, as X.509 carries it
//                                    (ECDSA: DER Ecdsa-Sig-Value; RSA: PKCS#1 v1.5; Ed25519: 64 bytes)
//
// <digest> is sha256, sha384 or sha512 (the hash the signature must use), or "none" for
// Ed25519. A non-zero exit is a failure; stderr is shown. The command line is run by
// /bin/sh, so it may carry its own arguments ("se-tool --slot 2").

import { spawn } from 'node:child_process';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { classifyPublicKey, signatureScheme, type SignatureScheme } from '../x509/keys.ts';
import type { RequestSigner } from '../x509/csr-build.ts';
import { AgentError } from './errors.ts';

const TIMEOUT_MS = 30_000;

function runHook(command: string, args: string[], input: Buffer | null): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `${command} "$@"`, 'fleetpki-agent-key', ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: TIMEOUT_MS });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', (error) => reject(new AgentError(`key command could not start: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(Buffer.concat(out));
      reject(new AgentError(`key command \`${args[0]}\` failed (${signal ?? `exit ${code}`})${err.trim() ? `: ${err.trim()}` : ''}`));
    });
    child.stdin.on('error', () => undefined); // a hook that exits without reading stdin is judged by its exit code
    child.stdin.end(input ?? undefined);
  });
}

export class KeyCommandSigner implements RequestSigner {
  readonly command: string;
  readonly publicKey: KeyObject;
  readonly scheme: SignatureScheme;

  private constructor(command: string, publicKey: KeyObject) {
    this.command = command;
    this.publicKey = publicKey;
    this.scheme = signatureScheme(classifyPublicKey(publicKey));
  }

  static async open(command: string): Promise<KeyCommandSigner> {
    const pem = (await runHook(command, ['public-key'], null)).toString('utf8');
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      throw new AgentError('key command `public-key` did not print a PEM public key');
    }
    return new KeyCommandSigner(command, key);
  }

  /** The signature is checked against the public key before use: a confused hook fails here, not at the CA. */
  async sign(data: Buffer): Promise<Buffer> {
    const text = (await runHook(this.command, ['sign', this.scheme.digest ?? 'none'], data)).toString('utf8').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new AgentError('key command `sign` did not print base64');
    const signature = Buffer.from(text, 'base64');
    if (!verify(this.scheme.digest, data, this.publicKey, signature)) throw new AgentError('key command `sign` returned a signature that does not verify with its public key');
    return signature;
  }
}
