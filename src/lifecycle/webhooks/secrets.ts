// Webhook secrets come from a file or an environment variable named in the configuration,
// never from the configuration itself; read once per lifecycle.

import { readFileSync } from 'node:fs';
import type { WebhookConfig } from '../../config/lifecycle.ts';
import { BadRequest } from '../../errors.ts';

const cache = new WeakMap<WebhookConfig, string>();

export function webhookSecret(webhook: WebhookConfig, env: NodeJS.ProcessEnv): string {
  const hit = cache.get(webhook);
  if (hit) return hit;
  const secret = readSecret(webhook, env);
  // Short secrets make the HMAC guessable offline from one captured request.
  if (secret.length < 16) throw new BadRequest(`the secret of webhook ${webhook.name} is shorter than 16 characters`);
  cache.set(webhook, secret);
  return secret;
}

function readSecret(webhook: WebhookConfig, env: NodeJS.ProcessEnv): string {
  if (webhook.secretFile) {
    try {
      return readFileSync(webhook.secretFile, 'utf8').trim();
    } catch (error) {
      throw new BadRequest(`cannot read the secret of webhook ${webhook.name} from ${webhook.secretFile}: ${(error as Error).message}`);
    }
  }
  if (webhook.secretEnv) {
    const value = env[webhook.secretEnv]?.trim();
    if (!value) throw new BadRequest(`the secret of webhook ${webhook.name} should be in $${webhook.secretEnv}, which is not set`);
    return value;
  }
  throw new BadRequest(`webhook ${webhook.name} has no secret: set secretFile or secretEnv`);
}
