// The agent's errors. What matters to the daemon is whether trying again can help: a server
// that is down or busy (retryable) or one that said no to this request (refused).

export class AgentError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The EST server could not be reached, timed out, or answered 5xx / 202 (try later). */
export class ServerUnavailable extends AgentError {
  /** Retry-After from the server, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | null;
  constructor(message: string, retryAfterMs: number | null = null, options?: ErrorOptions) {
    super(message, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/** The server answered with a 4xx: this request, as it is, will not be granted. */
export class EnrollmentRefused extends AgentError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}
