// Request validation with TypeBox's own compiler instead of Fastify's default Ajv, because
// Ajv's Fastify defaults would silently strip unknown body fields (removeAdditional) and
// coerce body types; an admin who typos a field name should hear about it. Query strings
// and path params arrive as text, so only they are converted to the schema's types.

import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const checker = Compile(schema);
  const convert = httpPart !== 'body';
  return (input: unknown) => {
    // Fastify hands a missing body over as null; treat it as absent so a body schema's
    // default ({} for "all fields optional") applies.
    let value = Value.Default(schema, input === null && httpPart === 'body' ? undefined : input);
    if (convert) value = Value.Convert(schema, value);
    if (checker.Check(value)) return { value };
    const errors = [...checker.Errors(value)] as FastifySchemaValidationError[];
    return { error: errors };
  };
};
