// The OCSP responder round trip of a CA kept offline, as commands (src/ocsp/offline-*.ts):
// `ocsp request` and `ocsp import` on the online instance, `ocsp sign-request` on the one
// that holds the CA key. Only files cross: a JSON request with a CSR one way, a responder
// certificate (PEM) the other. The responder key never leaves the online instance.

import { basename } from 'node:path';
import type { Command } from 'commander';
import { importResponderCertificate } from '../../ocsp/offline-import.ts';
import { buildResponderRequest, parseResponderRequest } from '../../ocsp/offline-request.ts';
import { DEFAULT_RESPONDER_DAYS, MAX_RESPONDER_DAYS, signResponderRequest } from '../../ocsp/offline-sign.ts';
import { readInput, writeOutput } from '../files.ts';
import { positiveInt } from '../parse.ts';
import { withSession } from '../session.ts';

function registerRequest(group: Command): void {
  group
    .command('request')
    .summary('online: make the OCSP responder key of an offline CA and the request to carry to it')
    .description(
      'On the online instance, for a CA whose key is kept offline (an offline root, or an issuing CA\n' +
        'imported with `fleetpki ca import-issuing`): generate a responder key of the CA\'s key type,\n' +
        'keep it sealed here as a pending request, and write a file with a CSR signed by it. Carry it\n' +
        'to the instance that holds the CA key (`fleetpki ocsp sign-request`), and the certificate\n' +
        'back (`fleetpki ocsp import`). Compare the SHA-256 printed here with sign-request\'s.',
    )
    .requiredOption('--ca <name>', 'the offline CA, by its name here')
    .option('--out <file>', 'where to write the request (default <ca>.ocsp-request.json)')
    .addHelpText('after', '\nExample:\n  $ fleetpki ocsp request --ca line-ca --out /media/usb/line-ca.ocsp-request.json')
    .action((o: { ca: string; out?: string }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const file = await buildResponderRequest(ctx, o.ca, actor);
        const path = o.out ?? `${o.ca}.ocsp-request.json`;
        writeOutput(path, file.bytes);
        const view = { ca: o.ca, file: path, request: file.request.requestId, sha256: file.sha256 };
        out.result(view, () => `OCSP responder request for CA ${o.ca} written to ${path}; its key waits sealed here (request ${view.request})\nsha256 ${file.sha256}\nnext: on the instance that holds the key, fleetpki ocsp sign-request ${basename(path)} --out <file>`);
      }),
    );
}

function registerSignRequest(group: Command): void {
  group
    .command('sign-request <request>')
    .summary('offline: sign the delegated OCSP responder certificate an `ocsp request` asks for')
    .description(
      'On the instance that holds the CA key: check the CSR of a `fleetpki ocsp request` file (its\n' +
        'signature proves the online instance holds the key), find the CA by its certificate, and sign\n' +
        'a delegated responder certificate (OCSPSigning, id-pkix-ocsp-nocheck) for --days, never past\n' +
        `the CA's own end. Audited with the certificate. Writes it as PEM to --out.`,
    )
    .requiredOption('--out <file>', 'where to write the responder certificate (PEM)')
    .option('--days <n>', `validity in days, 1 to ${MAX_RESPONDER_DAYS}`, positiveInt, DEFAULT_RESPONDER_DAYS)
    .addHelpText('after', '\nExample:\n  $ fleetpki --data-dir /offline ocsp sign-request /media/usb/line-ca.ocsp-request.json --days 30 --out /media/usb/line-ca-ocsp.pem')
    .action((requestPath: string, o: { out: string; days: number }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const file = parseResponderRequest(readInput(requestPath));
        const result = await signResponderRequest(ctx, file, o.days, actor);
        writeOutput(o.out, result.pem);
        const { pem: _, ...view } = result;
        out.result({ ...view, out: o.out }, () =>
          [
            `CA ${result.ca} (${result.onlineName} online): signed OCSP responder certificate serial ${result.serial}, valid ${result.notBefore} to ${result.notAfter}; written to ${o.out}`,
            `request sha256 ${result.requestSha256}`,
            `certificate file sha256 ${result.sha256}`,
            `next: on the online instance, fleetpki ocsp import ${basename(o.out)}`,
          ].join('\n'),
        );
      }),
    );
}

function registerImport(group: Command): void {
  group
    .command('import <file>')
    .summary('online: make a responder certificate an offline CA signed (ocsp sign-request) its OCSP signer')
    .description(
      'On the online instance: check the certificate (PEM or DER) against the CA certificate known\n' +
        'here (key identifier, issuer, signature), that it is a delegated responder certificate\n' +
        '(OCSPSigning, id-pkix-ocsp-nocheck, not a CA), valid now and inside the CA\'s validity, later\n' +
        'than the current one, and for the key of a request made here; then store it, with that key,\n' +
        'as the CA\'s OCSP signer, which `serve` answers with. Anything wrong stores nothing.',
    )
    .addHelpText('after', '\nExample:\n  $ fleetpki ocsp import /media/usb/line-ca-ocsp.pem')
    .action((path: string, _o: unknown, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const report = await importResponderCertificate(ctx, { path, bytes: readInput(path) }, actor);
        out.result(report, () => `imported the OCSP responder certificate of CA ${report.ca} (serial ${report.serial}), valid until ${report.notAfter}${report.replaces ? `, after the one valid until ${report.replaces}` : ''}\nfile sha256 ${report.sha256}`);
      }),
    );
}

export function registerOcsp(program: Command): void {
  const group = program
    .command('ocsp')
    .summary('OCSP for offline CAs: request, sign-request, import a delegated responder certificate')
    .description(
      '`serve` answers OCSP for every CA with a delegated responder certificate it issues and renews\n' +
        'itself (docs/revocation.md). A CA kept offline cannot: it gets one by a file round trip,\n' +
        '`ocsp request` here, `ocsp sign-request` on the instance that holds its key, `ocsp import` here.',
    );
  registerRequest(group);
  registerSignRequest(group);
  registerImport(group);
}
