// Scan targets as people write them: "host:port", "[v6]:port", "name" (port 443). A name is
// also sent as SNI, so a server hosting several names presents the certificate for this one;
// an IP address is never sent as SNI (RFC 6066 3 forbids it).

import { isIP } from 'node:net';
import { BadRequest } from '../errors.ts';

export interface Target {
  host: string;
  port: number;
  /** SNI: the name when the target is a name, null for an address. */
  serverName: string | null;
  /** host:port as shown and stored ("[::1]:443" for IPv6). */
  location: string;
}

export const DEFAULT_PORT = 443;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

function splitHostPort(text: string): { host: string; port: string | null } {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] ?? null };
  // A bare IPv6 address has several colons and no port.
  if (isIP(text) === 6) return { host: text, port: null };
  const colon = text.lastIndexOf(':');
  return colon < 0 ? { host: text, port: null } : { host: text.slice(0, colon), port: text.slice(colon + 1) };
}

function parsePort(port: string | null, text: string): number {
  if (port === null) return DEFAULT_PORT;
  const n = Number(port);
  if (!/^\d{1,5}$/.test(port) || n < 1 || n > 65535) throw new BadRequest(`target "${text}": port must be 1 to 65535`);
  return n;
}

export function parseTarget(input: string): Target {
  const text = input.trim();
  if (text === '') throw new BadRequest('empty target: write host:port or a name');
  if (text.includes('://')) throw new BadRequest(`target "${text}" is a URL; write host:port (e.g. broker.example:8883)`);
  const { host, port: portText } = splitHostPort(text);
  const port = parsePort(portText, text);
  const family = isIP(host);
  if (!family && !HOSTNAME.test(host)) throw new BadRequest(`target "${text}": "${host}" is neither an IP address nor a host name`);
  const name = family ? null : host.replace(/\.$/, '').toLowerCase();
  const shown = family === 6 ? `[${host}]` : (name ?? host);
  return { host: name ?? host, port, serverName: name, location: `${shown}:${port}` };
}

/** A targets file: one target per line; blank lines and lines starting with # are skipped. */
export function targetsFromText(text: string, source: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.replace(/#.*$/, '').trim();
    if (trimmed !== '') out.push(trimmed);
  }
  if (out.length === 0) throw new BadRequest(`${source} lists no targets`);
  return out;
}

/** Parses every target, naming all bad ones at once; duplicates (same host:port) are scanned once. */
export function parseTargets(inputs: string[], max: number): Target[] {
  if (inputs.length === 0) throw new BadRequest('no targets: give at least one host:port or name');
  if (inputs.length > max) throw new BadRequest(`${inputs.length} targets in one scan; at most ${max}`);
  const problems: string[] = [];
  const byLocation = new Map<string, Target>();
  for (const input of inputs) {
    try {
      const target = parseTarget(input);
      byLocation.set(target.location, target);
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new BadRequest(problems.join('; '), { problems });
  return [...byLocation.values()];
}
