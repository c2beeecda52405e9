// The one place where anything thrown by a command becomes a message and an exit code:
//   0 success, 1 the operation failed (refused, not found, conflict, a broken audit chain),
//   2 the command line or the configuration is wrong.
// Error messages are written by the layers that throw them and never carry secrets.

import { CommanderError } from 'commander';
import { ConfigError } from '../config/load.ts';
import { FleetPkiError } from '../errors.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A command that already printed why it failed (audit verify) and only needs its exit code. */
export class CommandFailed extends Error {
  readonly exitCode: number;
  constructor(exitCode: number = EXIT_FAILED) {
    super(`command failed with exit code ${exitCode}`);
    this.exitCode = exitCode;
  }
}

/** Usage mistakes found after commander's own parsing (an empty update, a bad k=v). */
export class UsageError extends Error {}

function emit(json: boolean, code: string, message: string, extra: Record<string, unknown> = {}): void {
  const text = json ? JSON.stringify({ error: { code, message, ...extra } }) : `fleetpki: ${message}`;
  process.stderr.write(`${text}\n`);
}

function commanderExit(error: CommanderError): number {
  // commander has already printed help or its message; only the exit code is ours to choose.
  if (error.exitCode === 0) return EXIT_OK;
  return EXIT_USAGE;
}

export function reportError(error: unknown, json: boolean): number {
  if (error instanceof CommandFailed) return error.exitCode;
  if (error instanceof CommanderError) return commanderExit(error);
  if (error instanceof UsageError) {
    emit(json, 'usage', error.message);
    return EXIT_USAGE;
  }
  if (error instanceof ConfigError) {
    if (json) emit(true, 'invalid_config', 'invalid configuration', { problems: error.problems });
    else process.stderr.write(`fleetpki: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof FleetPkiError) {
    emit(json, error.code, error.message, error.details ? { details: error.details } : {});
    return EXIT_FAILED;
  }
  // Anything else is unexpected (a missing passphrase, a database that cannot be opened):
  // say what it was; the stack only helps a developer, so it is shown on request.
  const message = error instanceof Error ? error.message : String(error);
  emit(json, 'error', message);
  if (process.env.FLEETPKI_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return EXIT_FAILED;
}
