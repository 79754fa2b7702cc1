/**
 * Issue numbers named by branch names and commit messages, and path globs. Pure: no IO.
 */
import picomatch from 'picomatch';

/**
 * A branch-name pattern of `issues.branch` as a regular expression: `{issue}` is the issue
 * number (digits), `*` any text, everything else literal. The whole name must match.
 */
function branchPattern(pattern: string): RegExp {
  const body = pattern
    .split('{issue}')
    .map((part) => part.split('*').map(escapeRegExp).join('.*'))
    .join('(\\d+)');
  return new RegExp(`^${body}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The issue a branch name names by the first matching pattern; 0 when none matches. */
export function branchIssue(branch: string, patterns: readonly string[]): number {
  if (branch === '') return 0;
  for (const pattern of patterns) {
    const match = branchPattern(pattern).exec(branch);
    const number = match ? Number(match[1]) : 0;
    if (Number.isSafeInteger(number) && number > 0) return number;
  }
  return 0;
}

/**
 * Issue references in a commit message: `#12`, `GH-12`, `owner/repo#12`, in order of first
 * appearance, each once. A `#` inside a word (`C#9`, `abc#1`) or a URL fragment is no reference.
 */
export function issueReferences(message: string): number[] {
  const found: number[] = [];
  const re = /(?:^|[\s([{,;:'"])(?:[\w.-]+\/[\w.-]+)?(?:#|GH-)(\d+)\b/gi;
  for (const match of message.matchAll(re)) add(found, match[1]);
  return found;
}

/** GitHub's closing keywords (docs: "Linking a pull request to an issue using a keyword"). */
const CLOSING = 'close|closes|closed|fix|fixes|fixed|resolve|resolves|resolved';

/**
 * Issues a commit message closes with a closing keyword: `Closes #7`, `fixes: #7`,
 * `Resolves owner/repo#7`, `Fixes #7, #8` (each number after the keyword until a word that
 * is not a reference).
 */
export function closingReferences(message: string): number[] {
  const found: number[] = [];
  const ref = '(?:[\\w.-]+\\/[\\w.-]+)?#\\d+(?!\\w)';
  const re = new RegExp(`\\b(?:${CLOSING}):?\\s+(${ref}(?:\\s*(?:,|and)\\s*${ref})*)`, 'gi');
  for (const match of message.matchAll(re)) {
    for (const each of (match[1] ?? '').matchAll(/#(\d+)/g)) add(found, each[1]);
  }
  return found;
}

function add(found: number[], digits: string | undefined): void {
  const number = Number(digits);
  if (Number.isSafeInteger(number) && number > 0 && !found.includes(number)) found.push(number);
}

const matchers = new Map<string, (path: string) => boolean>();

/**
 * Whether a repository-relative path matches any glob: `*` within one folder, `**` across
 * folders, `?`, `[...]`, `{a,b}` (picomatch, with dotfiles matched as any other name).
 */
export function matchesAnyGlob(path: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => {
    let matcher = matchers.get(pattern);
    if (matcher === undefined) {
      matcher = picomatch(pattern, { dot: true });
      matchers.set(pattern, matcher);
    }
    return matcher(path);
  });
}
