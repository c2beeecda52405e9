// Schema pieces every resource uses: the error body, path parameters, paging.

import Type, { type TSchema } from 'typebox';
import { MAX_PAGE_LIMIT } from '../../store/repos/page.ts';

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** JSON objects whose keys are the user's (device metadata, audit details). */
export const FreeObject = Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({
        description: 'bad_request, unauthorized, forbidden, not_found, conflict, payload_too_large, too_many_requests, policy_denied, internal_error...',
      }),
      message: Type.String({ description: 'What went wrong, for a person to read' }),
      details: Type.Optional(FreeObject),
    }),
  },
  { description: 'Every error has this shape' },
);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });

export const Limit = Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: 50, description: `Page size, 1 to ${MAX_PAGE_LIMIT}` });
export const AfterCursor = Type.String({ minLength: 1, maxLength: 64, description: 'nextCursor of the previous page' });
export const Timestamp = Type.String({ format: 'date-time', description: 'RFC 3339 timestamp' });

export const Items = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item) });
export const Page = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });

/** PEM bodies are text, documented under their own media type. */
export const pemResponse = (mediaType: string, description: string) => ({
  description,
  content: { [mediaType]: { schema: Type.String() } },
});
