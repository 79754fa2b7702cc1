// Every query and mutation the tool sends is valid against GitHub's published schema: a
// misspelled field or a wrong argument fails here, without a server.
import { schema as published } from '@octokit/graphql-schema';
import { buildSchema, parse, validate, type GraphQLSchema } from 'graphql';
import { describe, expect, test } from 'vitest';
import { GITHUB_OPERATIONS } from '../../src/facts/github-queries.js';

// The SDL is the newer of the two shipped forms; it defines a few fields twice, hence assumeValidSDL.
function githubSchema(): GraphQLSchema {
  return buildSchema(published.idl, { assumeValidSDL: true });
}

describe('GitHub operations', () => {
  const schema = githubSchema();
  test.each(Object.entries(GITHUB_OPERATIONS))('%s is valid against GitHub\'s schema', (_name, text) => {
    const errors = validate(schema, parse(text)).map((e) => e.message);
    expect(errors).toEqual([]);
  });

  test('a wrong field is caught (the validation is real)', () => {
    const wrong = GITHUB_OPERATIONS.FACT_QUERY!.replace('stateReason', 'stateReasn');
    expect(validate(schema, parse(wrong)).map((e) => e.message).join('\n')).toMatch(/stateReasn/);
  });
});
