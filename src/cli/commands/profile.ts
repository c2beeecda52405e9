// `fleetpki profile ...`: certificate profiles, the RA's policy per class of certificate.
// `show` prints YAML by default so its output can be edited and fed back to `set`.

import type { Command } from 'commander';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { deleteProfile, getProfile, listProfiles, putProfile } from '../../app/profiles.ts';
import { BadRequest } from '../../errors.ts';
import type { Profile } from '../../ra/profile.ts';
import { readInput } from '../files.ts';
import { table } from '../output.ts';
import { withSession } from '../session.ts';

/** YAML is a superset of JSON, so one parser reads both file kinds. */
function readDefinition(path: string): unknown {
  const text = readInput(path).toString('utf8');
  try {
    return parseYaml(text);
  } catch (error) {
    throw new BadRequest(`cannot parse ${path}: ${(error as Error).message}`);
  }
}

function profileTable(profiles: Profile[]): string {
  return table(
    ['name', 'ca', 'validity', 'keys', 'ext key usage', 'description'],
    profiles.map((p) => [p.name, p.ca, p.validity, p.keys.allowed.join(','), p.extKeyUsage.join(','), p.description]),
  );
}

function registerReads(group: Command): void {
  group
    .command('list')
    .summary('list the profiles')
    .action((_o, cmd: Command) =>
      withSession(cmd, async ({ ctx, out }) => {
        const profiles = await listProfiles(ctx);
        out.result(profiles, () => profileTable(profiles));
      }),
    );
  group
    .command('show <name>')
    .summary('print a profile as YAML (JSON with --json), ready to edit and `profile set`')
    .addHelpText('after', '\nExample:\n  $ fleetpki profile show sensor > sensor.yaml && $EDITOR sensor.yaml && fleetpki profile set sensor.yaml')
    .action((name: string, _o, cmd: Command) =>
      withSession(cmd, async ({ ctx, out }) => {
        const profile = await getProfile(ctx, name);
        out.result(profile, () => toYaml(profile));
      }),
    );
}

function registerWrites(group: Command): void {
  group
    .command('set <file>')
    .summary('create or replace a profile from a YAML or JSON file')
    .description('Create or replace the profile the file defines (its `name` field). The whole definition\nis validated first; every problem is listed and nothing is changed if any is found.')
    .addHelpText('after', '\nExample:\n  $ fleetpki profile set profiles/meter.yaml')
    .action((file: string, _o, cmd: Command) =>
      withSession(cmd, async ({ ctx, out, actor }) => {
        const profile = await putProfile(ctx, readDefinition(file), actor);
        out.result(profile, () => `saved profile ${profile.name} (CA ${profile.ca}, validity ${profile.validity})`);
      }),
    );
  group
    .command('delete <name>')
    .summary('delete a profile (certificates already issued under it are unaffected)')
    .action((name: string, _o, cmd: Command) =>
      withSession(cmd, async ({ ctx, out, actor }) => {
        await deleteProfile(ctx, name, actor);
        out.result({ deleted: name }, () => `deleted profile ${name}`);
      }),
    );
}

export function registerProfile(program: Command): void {
  const group = program
    .command('profile')
    .summary('certificate profiles: list, show, set, delete')
    .description('Manage certificate profiles: which CA signs, key types, lifetime, names and usages.');
  registerReads(group);
  registerWrites(group);
}
