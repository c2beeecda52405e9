// The one configuration object, validated once where it enters. Secrets (the CA key
// passphrase) are deliberately not part of it: they come from the environment or a file
// named here, so a config dump never carries them.

import Type, { type Static } from 'typebox';
import { KEY_TYPES } from '../x509/keys.ts';
import { LifecycleSchema } from './lifecycle.ts';

const KeyTypeSchema = Type.Enum(KEY_TYPES);

const CaSpec = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }),
    keyType: KeyTypeSchema,
    validityDays: Type.Integer({ minimum: 1, maximum: 36500 }),
    commonName: Type.String({ minLength: 1, maxLength: 64 }),
    organization: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({ minLength: 1, default: './data' }),
    /** sqlite:<path> (default <dataDir>/fleetpki.db) or postgres://... */
    db: Type.Optional(Type.String({ minLength: 1 })),
    listen: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 7080 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Base URL relying parties reach fleetpki at: CRL, OCSP and caIssuers URLs are built from it. */
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s/]+(/[^\\s]*)?$' })),
    logLevel: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
    bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 10 * 1024 * 1024, default: 64 * 1024 }),
    keys: Type.Object(
      {
        /** File holding the CA key passphrase; FLEETPKI_KEY_PASSPHRASE takes precedence. */
        passphraseFile: Type.Optional(Type.String({ minLength: 1 })),
        /** scrypt cost as log2(N); 17 is OWASP's recommendation, lower only for tests. */
        scryptLog2N: Type.Integer({ minimum: 12, maximum: 20, default: 17 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** CRLs (RFC 5280): how long each is valid and when it is re-signed before it runs out. */
    crl: Type.Object(
      {
        validityHours: Type.Integer({ minimum: 1, maximum: 24 * 31, default: 24 }),
        /** Re-sign a CRL when less than this is left before its nextUpdate. */
        refreshBeforeHours: Type.Integer({ minimum: 0, maximum: 24 * 30, default: 8 }),
        /** Directory fleetpki writes the CA bundle and current CRLs to, for brokers and web servers. */
        publishDir: Type.Optional(Type.String({ minLength: 1 })),
        /**
         * CAs whose certificates go into the published ca-bundle.pem, which gateways trust for
         * client certificates. Default: the CAs that profiles issue TLS certificates from and their
         * roots, never a manufacturer (IDevID) CA nor the code-signing CA (docs/revocation.md).
         */
        publishCas: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }), { minItems: 1, uniqueItems: true })),
        /** Run after each publication (no shell), e.g. ["systemctl", "reload", "mosquitto"]. */
        reloadCommand: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
        /** Revocations arriving within this window are covered by one regeneration. */
        debounceMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 500 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** OCSP responder (RFC 6960, RFC 5019 profile). */
    ocsp: Type.Object(
      {
        /** nextUpdate - thisUpdate of pre-signed responses. */
        responseValidityMinutes: Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, default: 60 }),
        /** Lifetime of the delegated OCSP signing certificates fleetpki issues itself. */
        signerValidityDays: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
        /** Pre-signed responses kept in memory (about 2.5 KiB each: 100,000 take some 250 MB); the least recently asked for go first. */
        cacheEntries: Type.Integer({ minimum: 100, maximum: 10_000_000, default: 100_000 }),
        /**
         * How often `serve` looks in the store for revocations made by other processes (the CLI,
         * another instance); revocations through this process replace responses at once.
         */
        revocationPollSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 5 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Signed firmware (docs/firmware.md). */
    firmware: Type.Object(
      {
        /**
         * The CAs whose certificates may sign firmware: devices trust their chain
         * (`fleetpki ca chain code-signing`) for updates, so a signer from any other CA would
         * sign images no device accepts.
         */
        signingCas: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }), { minItems: 1, uniqueItems: true, default: ['code-signing'] }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** EST (RFC 7030) over HTTPS, on its own listener because it needs TLS client certificates. */
    est: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8443 }),
        /** DNS names and IPs in the EST server's own TLS certificate (issued by fleetpki). */
        serverNames: Type.Array(Type.String({ minLength: 1 }), { default: ['localhost', '127.0.0.1'] }),
        /** Profile of the EST server's own TLS certificate. */
        tlsProfile: Type.String({ minLength: 1, default: 'tls-server' }),
        /** Profile for IDevID enrolments whose URL names no label; without it they need one. */
        defaultProfile: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false, default: {} },
    ),
    /** The web dashboard at /ui/: how long a person's sign-in lasts. */
    dashboard: Type.Object(
      {
        /** A session ends this long after sign-in, however active. */
        sessionHours: Type.Integer({ minimum: 1, maximum: 7 * 24, default: 8 }),
        /** A session unused this long ends earlier. */
        idleMinutes: Type.Integer({ minimum: 1, maximum: 24 * 60, default: 30 }),
        /** Failed sign-ins in a row a username may have before each next attempt waits (1 s, doubling); a source address gets four times as many. */
        signInFreeFailures: Type.Integer({ minimum: 1, maximum: 1000, default: 5 }),
        /** The longest wait between attempts after failed sign-ins. */
        signInMaxDelaySeconds: Type.Integer({ minimum: 1, maximum: 24 * 3600, default: 900 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Scheduled lifecycle jobs, their policies and alert webhooks (src/config/lifecycle.ts, docs/lifecycle.md). */
    lifecycle: LifecycleSchema,
    /** The hierarchy `init` creates on first start. */
    hierarchy: Type.Object(
      {
        root: CaSpec,
        issuing: Type.Array(CaSpec, { minItems: 1 }),
      },
      {
        additionalProperties: false,
        default: {
          root: { name: 'fleet-root', keyType: 'ec-p384', validityDays: 7305, commonName: 'fleetpki Root CA', organization: 'fleetpki' },
          issuing: [
            { name: 'devices-production', keyType: 'ec-p256', validityDays: 1826, commonName: 'fleetpki Devices Production CA', organization: 'fleetpki' },
            { name: 'devices-lab', keyType: 'ec-p256', validityDays: 1826, commonName: 'fleetpki Devices Lab CA', organization: 'fleetpki' },
            { name: 'code-signing', keyType: 'ec-p256', validityDays: 1826, commonName: 'fleetpki Code Signing CA', organization: 'fleetpki' },
          ],
        },
      },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema> & { db: string; publicUrl: string };
export type CaSpec = Static<typeof CaSpec>;
