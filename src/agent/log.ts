// Structured log lines (one JSON object each, pino's shape) without a logging library: the
// agent runs on small devices and carries no dependencies beyond node: and fleetpki's x509.

export type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 20, info: 30, warn: 40, error: 50 };

export interface AgentLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLog(write: (line: string) => void, minimum: Level = 'info'): AgentLog {
  const emit = (level: Level) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (RANK[level] < RANK[minimum]) return;
    write(`${JSON.stringify({ level: RANK[level], time: Date.now(), service: 'fleetpki-agent', msg, ...fields })}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLog: AgentLog = createLog(() => undefined, 'error');
