// The published 2026-10 schema, built once per process from the copy in this folder
// (schema.graphql: the SDL of ../shared/specs/monday_schema.graphql under a header naming its source).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type GraphQLSchema, buildSchema } from 'graphql';

/** The API version the schema describes, and what the simulator answers when no valid API-Version is sent. */
export const SCHEMA_API_VERSION = '2026-10';
export const SCHEMA_PATH = fileURLToPath(new URL('./schema.graphql', import.meta.url));

let schema: GraphQLSchema | null = null;

/** The schema (an immutable value, so one copy serves every simulator in the process). */
export function mondaySchema(): GraphQLSchema {
  schema ??= buildSchema(readFileSync(SCHEMA_PATH, 'utf8'));
  return schema;
}

/** The SDL without the header comment: byte-identical to the published file. */
export function publishedSdl(): string {
  const text = readFileSync(SCHEMA_PATH, 'utf8');
  return text.slice(text.indexOf('schema {'));
}
