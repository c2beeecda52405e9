// `fleetpki device bootstrap-token <id>`: a one-time EST enrolment secret for a device,
// printed once on stdout (only its hash is kept). The device sends it as the HTTP Basic
// password or a bearer token to /.well-known/est/[<profile>/]simpleenroll (docs/est.md).

import { InvalidArgumentError, type Command } from 'commander';
import { bootstrapTokenView, createBootstrapToken } from '../../app/bootstrap-tokens.ts';
import { parseDuration } from '../../ra/duration.ts';
import { withSession } from '../session.ts';

function lifetime(value: string): number {
  try {
    return parseDuration(value) * 1000;
  } catch {
    throw new InvalidArgumentError('expected a duration such as 15m, 24h or 7d.');
  }
}

export function registerBootstrapToken(group: Command): void {
  group
    .command('bootstrap-token <id>')
    .summary('create a one-time EST bootstrap token for a device and print it once')
    .description(
      'Create a one-time secret with which the device enrols over EST (simpleenroll or serverkeygen)\n' +
        'under the given profile. The token is printed once, on stdout; only its hash is kept.\n' +
        'It is used up by the first certificate issued with it, and expires unused after --expires-in.',
    )
    .requiredOption('--profile <name>', 'profile the device enrols under')
    .option('--expires-in <duration>', 'lifetime, at most 30d', lifetime, 24 * 3600_000)
    .addHelpText('after', '\nExample:\n  $ TOKEN=$(fleetpki device bootstrap-token 0199... --profile sensor --expires-in 24h)\n  $ curl --cacert root.pem -u device:$TOKEN -H "Content-Type: application/pkcs10" \\\n      --data-binary @device.b64 https://est.example.com:8443/.well-known/est/sensor/simpleenroll')
    .action((id: string, o: { profile: string; expiresIn: number }, c: Command) =>
      withSession(c, async ({ ctx, out, actor }) => {
        const { token, info } = await createBootstrapToken(ctx, id, o.profile, new Date(Date.now() + o.expiresIn), actor);
        out.note(`created bootstrap token ${info.id} for device ${info.device_id}, profile ${info.profile}, expires ${info.expires_at}; it is shown only this once`);
        out.result({ token, ...bootstrapTokenView(info) }, () => token);
      }),
    );
}
