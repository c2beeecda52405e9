// What the agent sends and reads: its CSRs (checked by `openssl req -verify`, and free of
// any attribute that could ask for more than the CA gives), CSRs signed through the external
// key command, and certs-only PKCS#7 answers as `openssl crl2pkcs7` makes them.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { decodeEstBody } from '../../src/agent/est-body.ts';
import { decodeCertsOnly } from '../../src/x509/pkcs7.ts';
import { AgentError } from '../../src/agent/errors.ts';
import { KeyCommandSigner } from '../../src/agent/key-command.ts';
import { serialSubject } from '../../src/agent/obtain.ts';
import { SoftwareSigner } from '../../src/signer/software.ts';
import { buildSignedCsr } from '../../src/x509/csr-build.ts';
import { parseCsr } from '../../src/x509/csr.ts';
import { toPem } from '../../src/x509/pem.ts';

const dir = mkdtempSync(join(tmpdir(), 'agent-req-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function opensslReq(csrDer: Buffer): string {
  const file = join(dir, `req-${Math.random().toString(36).slice(2)}.csr`);
  writeFileSync(file, toPem(csrDer, 'CERTIFICATE REQUEST'));
  return execFileSync('openssl', ['req', '-in', file, '-verify', '-noout', '-text'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A key command in the shape docs/agent.md describes, backed by openssl and a key file. */
function hookScript(name: string, keyFile: string, body?: string): string {
  const script = join(dir, name);
  writeFileSync(
    script,
    body ??
      `#!/bin/sh\nset -e\ncase "$1" in\n  public-key) openssl pkey -in '${keyFile}' -pubout ;;\n  sign) openssl dgst -"$2" -sign '${keyFile}' | base64 ;;\n  *) echo "unknown command $1" >&2; exit 64 ;;\nesac\n`,
  );
  chmodSync(script, 0o700);
  return script;
}

function keyFile(name: string, curve = 'P-256'): string {
  const file = join(dir, name);
  writeFileSync(file, generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
  return file;
}

describe('agent CSRs', () => {
  for (const type of ['ec-p256', 'ed25519', 'rsa-2048'] as const) {
    test(`${type}: openssl verifies the signature; the subject is the serial; no attributes`, async () => {
      const key = type === 'ec-p256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
      const csr = await buildSignedCsr(serialSubject('SN-0042'), new SoftwareSigner(key.privateKey));
      const text = opensslReq(csr);
      assert.match(text, /Subject: serialNumber ?= ?SN-0042/);
      // OpenSSL 3.0 prints an empty "Requested Extensions:" heading even when there are none.
      assert.match(text, /Attributes:\s*\n\s*\(none\)\s*\n(\s*Requested Extensions:\s*\n)?\s*Signature Algorithm/);
      assert.equal((await parseCsr(csr)).subject, 'serialNumber=SN-0042');
    });
  }
});

describe('key command', () => {
  test('a key held by an external command signs a CSR that openssl verifies', async () => {
    const key = keyFile('se-p384.key', 'P-384');
    const signer = await KeyCommandSigner.open(hookScript('se-p384.sh', key));
    assert.equal(signer.scheme.digest, 'sha384');
    const csr = await buildSignedCsr(serialSubject('SN-SE-1'), signer);
    const text = opensslReq(csr);
    assert.match(text, /ecdsa-with-SHA384/);
    assert.match(text, /NIST CURVE: P-384/);
  });

  test('the command line may carry its own arguments', async () => {
    const key = keyFile('args.key');
    const script = hookScript('args.sh', key, `#!/bin/sh\n[ "$1" = "--slot" ] && [ "$2" = "2" ] || { echo "expected --slot 2 first" >&2; exit 1; }\nshift 2\ncase "$1" in public-key) openssl pkey -in '${key}' -pubout ;; sign) openssl dgst -"$2" -sign '${key}' | base64 ;; esac\n`);
    const signer = await KeyCommandSigner.open(`${script} --slot 2`);
    opensslReq(await buildSignedCsr(serialSubject('SN-SE-2'), signer));
  });

  test('a signature that does not match the public key is refused before anything is sent', async () => {
    const shown = keyFile('shown.key');
    const other = keyFile('other.key');
    const script = hookScript('liar.sh', shown, `#!/bin/sh\ncase "$1" in public-key) openssl pkey -in '${shown}' -pubout ;; sign) openssl dgst -"$2" -sign '${other}' | base64 ;; esac\n`);
    const signer = await KeyCommandSigner.open(script);
    await assert.rejects(buildSignedCsr(serialSubject('SN-X'), signer), (error: Error) => error instanceof AgentError && /does not verify/.test(error.message));
  });

  test("a failing command is an error that carries its exit status and stderr", async () => {
    const script = hookScript('broken.sh', '', '#!/bin/sh\necho "secure element not present" >&2\nexit 3\n');
    await assert.rejects(KeyCommandSigner.open(script), (error: Error) => error instanceof AgentError && /exit 3/.test(error.message) && /secure element not present/.test(error.message));
  });
});

describe('certs-only PKCS#7 from openssl, as the agent reads EST answers', () => {
  test('reads every certificate of what `openssl crl2pkcs7 -nocrl` makes, as DER or base64', () => {
    const certs = ['a', 'b'].map((cn) => {
      const key = keyFile(`${cn}.key`);
      const file = join(dir, `${cn}.pem`);
      execFileSync('openssl', ['req', '-x509', '-key', key, '-subj', `/CN=${cn}`, '-days', '1', '-out', file]);
      return { file, der: execFileSync('openssl', ['x509', '-in', file, '-outform', 'DER']) };
    });
    const p7 = execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', certs[0].file, '-certfile', certs[1].file, '-outform', 'DER']);
    const read = decodeCertsOnly(decodeEstBody(Buffer.from(p7.toString('base64').replace(/(.{64})/g, '$1\r\n'))));
    assert.deepEqual(read, certs.map((c) => c.der));
    assert.deepEqual(decodeCertsOnly(decodeEstBody(p7)), read);
  });

  test('an answer that is neither base64 nor DER is an AgentError, not a crash', () => {
    assert.throws(() => decodeEstBody(Buffer.from('<html>oops</html>')), AgentError);
  });
});
