// Every GraphQL document the connector sends validates against the published SDL of the pinned API
// version (../shared/specs/monday_schema.graphql, 2026-10), with graphql's own buildSchema + validate:
// a field or argument that version does not have fails here, not in a sync.
import { readFileSync } from 'node:fs';
import { buildSchema, parse, validate, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTS } from './documents';
import { API_VERSION } from './manifest';

const SDL = new URL('../../../shared/specs/monday_schema.graphql', import.meta.url);
let schema: GraphQLSchema;

beforeAll(() => {
  schema = buildSchema(readFileSync(SDL, 'utf8'));
});

describe('GraphQL documents against the monday SDL', () => {
  it('the SDL is the version the client pins', () => {
    expect(API_VERSION).toBe('2026-10');
    expect(readFileSync(new URL('../../../shared/specs/SOURCES.md', import.meta.url), 'utf8')).toMatch(/monday_schema\.graphql.*API version 2026-10/);
  });

  it.each(Object.entries(DOCUMENTS))('%s validates', (_name, doc) => {
    expect(validate(schema, parse(doc)).map((e) => e.message)).toEqual([]);
  });

  it('every operation asks what the complexity budget has left', () => {
    for (const [name, doc] of Object.entries(DOCUMENTS)) expect(doc, name).toMatch(/complexity \{ before after query reset_in_x_seconds \}/);
  });

  it('the check is real: a field the version lacks, or fields that cannot merge, fail', () => {
    // `users { enabled }` is in older docs (vendor-apis.md §2.2) but not in the 2026-10 SDL.
    expect(validate(schema, parse('query { users(ids: [1]) { id enabled } }')).map((e) => e.message)).toEqual(['Cannot query field "enabled" on type "User".']);
    // Why the file fragment leaves FileAssetInvalidValue's `name` out: String vs String! do not merge.
    const files = 'query { items(ids: [1]) { column_values { ... on FileValue { files { ... on FileAssetValue { name } ... on FileAssetInvalidValue { name } } } } } }';
    expect(validate(schema, parse(files))[0]?.message).toMatch(/conflict because they return conflicting types "String!" and "String"/);
  });
});
