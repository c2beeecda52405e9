// The few named error classes every layer throws. Each front end maps them to its
// protocol's terms in one place (src/api/errors.ts for the REST API).

export type ErrorCode =
  | 'bad_request'
  | 'policy_denied'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'forbidden'
  | 'payload_too_large'
  | 'too_many_requests';

export class FleetPkiError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** The input is malformed: bad PEM/DER, a CSR whose signature does not verify, a bad field. */
export class BadRequest extends FleetPkiError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('bad_request', message, details);
  }
}

/** The input is well formed but policy refuses it: weak key, name outside profile, retired device. */
export class PolicyDenied extends FleetPkiError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('policy_denied', message, details);
  }
}

export class NotFound extends FleetPkiError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('not_found', message, details);
  }
}

export class Conflict extends FleetPkiError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, details);
  }
}

export class Unauthorized extends FleetPkiError {
  constructor(message: string) {
    super('unauthorized', message);
  }
}

/** Slow down: the caller may try again after `retryAfterSeconds` (HTTP 429 with Retry-After). */
export class TooManyRequests extends FleetPkiError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super('too_many_requests', message, { retryAfterSeconds });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class Forbidden extends FleetPkiError {
  constructor(message: string) {
    super('forbidden', message);
  }
}
