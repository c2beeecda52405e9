import type { Server } from 'node:https';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The EST Fastify instance: HTTPS, plain request types (EST bodies are bytes, not JSON). */
export type EstApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger>;
