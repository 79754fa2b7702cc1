import { describe, expect, it } from 'vitest';
import { fieldsReadIn } from '../../src/engine/waivers.js';

describe('fieldsReadIn', () => {
  it('lists the fields of a fact that expressions and templates read', () => {
    const fields = fieldsReadIn(['repo.dirty.filter(p, p != "")', 'on {{ repo.branch }}', 'release.status == "blocked"'], 'repo');
    expect(fields && [...fields].sort()).toEqual(['branch', 'dirty']);
  });

  it('answers null (every field) when a text uses the fact whole', () => {
    expect(fieldsReadIn(['repo.dirty.size() > 0', 'has(repo)'], 'repo')).toBeNull();
  });

  it('does not take a longer name or a member of another value for the fact', () => {
    const fields = fieldsReadIn(['variables.repo == "x" && repository.name == "y" && it.repo.head == ""'], 'repo');
    expect(fields && [...fields]).toEqual([]);
  });
});
