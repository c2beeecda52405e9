import { FleetPkiError } from '../errors.ts';
import type { Context } from './context.ts';

/**
 * Runs a decision; if it is refused (bad input, policy, unknown target), the refusal is an
 * audit event of its own before the error goes back to the caller. Nothing else is written.
 */
export async function audited<T>(ctx: Context, actor: string, action: string, target: string | null, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof FleetPkiError) {
      await ctx.ledger.audit([{ actor, action, target, outcome: 'refused', details: { code: error.code, reason: error.message } }]);
    }
    throw error;
  }
}
