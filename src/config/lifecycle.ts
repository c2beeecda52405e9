// The `lifecycle` section of the configuration: how often each scheduled job runs, what the
// policies do when they find something, and where alerts are sent (docs/lifecycle.md).

import Type, { type Static } from 'typebox';

const Seconds = (fallback: number, description: string) => Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600, default: fallback, description });

const JobSettings = (intervalSeconds: number) =>
  Type.Object(
    {
      enabled: Type.Boolean({ default: true }),
      intervalSeconds: Seconds(intervalSeconds, 'time between two scheduled runs, across all instances'),
    },
    { additionalProperties: false, default: {} },
  );

const OrphanAction = (action: 'alert' | 'revoke', reason: 'cessationOfOperation' | 'privilegeWithdrawn') =>
  Type.Object(
    {
      /** alert: raise an alert only; revoke: revoke the certificate (audited as system:lifecycle) and raise an alert saying so. */
      action: Type.Enum(['alert', 'revoke'], { default: action }),
      reason: Type.Enum(['cessationOfOperation', 'privilegeWithdrawn'], { default: reason }),
    },
    { additionalProperties: false, default: {} },
  );

const Webhook = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    url: Type.String({ pattern: '^https?://[^\\s/]+(/[^\\s]*)?$' }),
    /**
     * The HMAC key. Secrets stay out of the configuration (a dump of it must not carry them):
     * name a file holding it, or an environment variable.
     */
    secretFile: Type.Optional(Type.String({ minLength: 1 })),
    secretEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
    /** Only alerts whose kind starts with one of these (e.g. "certificate.", "job."); empty means all. */
    kinds: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    minSeverity: Type.Enum(['info', 'warning', 'critical'], { default: 'info' }),
    /** Also announce when an alert is resolved. */
    sendResolved: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export const LifecycleSchema = Type.Object(
  {
    /** Whether `serve` runs the scheduler; `fleetpki lifecycle run` works either way. */
    enabled: Type.Boolean({ default: true }),
    /** How often each instance looks for a due job. */
    tickSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 15 }),
    /** How long a crashed instance keeps a job from others; renewed every third of it while the job runs. */
    leaseSeconds: Type.Integer({ minimum: 5, maximum: 24 * 3600, default: 300 }),
    jobs: Type.Object(
      {
        expiry: JobSettings(3600),
        'renewal-due': JobSettings(3600),
        'renewal-failed': JobSettings(3600),
        orphans: JobSettings(3600),
        drift: JobSettings(3600),
        'crl-refresh': JobSettings(900),
        'webhook-delivery': JobSettings(15),
      },
      { additionalProperties: false, default: {} },
    ),
    policies: Type.Object(
      {
        /** A renewal has failed once less than this fraction of the lifetime is left without a successor. */
        renewalFailedFraction: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.1 }),
        orphans: Type.Object(
          {
            /** A suspended device's certificates become orphans after this long in suspension. */
            suspendedForSeconds: Type.Integer({ minimum: 1, maximum: 366 * 24 * 3600, default: 30 * 24 * 3600 }),
            decommissioned: OrphanAction('revoke', 'cessationOfOperation'),
            missing: OrphanAction('alert', 'privilegeWithdrawn'),
            suspended: OrphanAction('alert', 'privilegeWithdrawn'),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    webhooks: Type.Array(Webhook, { default: [] }),
    delivery: Type.Object(
      {
        maxAttempts: Type.Integer({ minimum: 1, maximum: 50, default: 8 }),
        /** Wait before the second attempt; doubled for each further one, up to backoffMaxSeconds. */
        backoffBaseSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
        backoffMaxSeconds: Type.Integer({ minimum: 1, maximum: 24 * 3600, default: 3600 }),
        timeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export type LifecycleConfig = Static<typeof LifecycleSchema>;
export type WebhookConfig = Static<typeof Webhook>;
