/**
 * The release state every clone sees: the local journal's fold and the state the trusted
 * status comments carry on GitHub (the `github` fact), merged by `mergeSharedState`. Pure:
 * the fact and the journal's events come from the caller.
 *
 * Which issue speaks: the release's own issue (the journal's, else the branch's: the fact's
 * `issue`) when its comments hold a state that holds the loop; else the newest such state on
 * the open issues the fact lists as `blocked`, so that a fresh clone on the default branch,
 * whose branch names no issue, still finds the blocked release.
 */
import type { GitHubFact } from '../facts/model.js';
import type { JournalEvent, ReleaseState } from './model.js';
import type { Ecosystem } from './state.js';
import { journalTime, mergeSharedState, readIssueComments, sharedReleases, type IgnoredComment, type StateSource } from './issue-state.js';

export interface SharedView {
  /** journal: the local fold is used (the issue had nothing newer); issue: the issue's state; both: they agree. */
  source: StateSource;
  /** The sentence `policy status` shows when the journal and the issue disagree; "" when they do not. */
  disagreement: string;
  /** The issue whose status comment was read; 0 for none. */
  issue: number;
  /** That comment's address; "" for none. */
  comment: string;
  /** Status comments not counted (untrusted author, garbled state), with their issue. */
  ignored: (IgnoredComment & { issue: number })[];
}

export interface SharedInput {
  /** The local fold, and the journal's events it came from. */
  local: ReleaseState;
  events: readonly JournalEvent[];
  github: GitHubFact;
  /** The package whose release is read; null: whichever the issue names (a clone without a journal). */
  package: string | null;
  trusted: readonly string[];
  ecosystem?: Ecosystem;
}

const HOLDS = new Set(['blocked', 'unknown', 'released']);

/** The merged state and what `policy status` says about where it came from. */
export function shareState(input: SharedInput): { state: ReleaseState; view: SharedView } {
  const { github } = input;
  const options = {
    viewer: github.viewer,
    trusted: input.trusted,
    package: input.package,
    ...(input.ecosystem === undefined ? {} : { ecosystem: input.ecosystem }),
  };
  const ignored: SharedView['ignored'] = [];
  let shared: { state: ReleaseState; at: string; issue: number; commentId: string } | null = null;
  if (github.issue.number > 0) {
    const read = readIssueComments(github.issue.comments, options);
    ignored.push(...read.ignored.map((i) => ({ ...i, issue: github.issue.number })));
    if (read.latest !== null) shared = { state: read.latest.state, at: read.latest.at, issue: github.issue.number, commentId: read.latest.comment.id };
  }
  // The release's own issue says nothing that holds the loop: an open issue may (issue 7's
  // blocked release seen from main or from issue 8's branch).
  if (shared === null || !HOLDS.has(shared.state.status)) {
    const others = sharedReleases(github.blocked.filter((b) => b.number !== github.issue.number), options);
    ignored.push(...others.ignored);
    const newest = others.releases.reduce<(typeof others.releases)[number] | null>(
      (best, r) => (best === null || Date.parse(r.at) >= Date.parse(best.at) ? r : best),
      null,
    );
    if (newest !== null) shared = { state: newest.state, at: newest.at, issue: newest.issue, commentId: newest.comment.id };
  }
  const pkg = input.package ?? input.local.package;
  const merged = mergeSharedState(
    { state: input.local, at: journalTime(input.events, pkg) },
    shared === null ? null : { state: withIssue(shared.state, shared.issue), at: shared.at, issue: shared.issue },
  );
  const comments = [...github.issue.comments, ...github.blocked.flatMap((b) => b.comments)];
  return {
    state: merged.state,
    view: {
      source: merged.source,
      disagreement: merged.disagreement ?? '',
      issue: shared?.issue ?? 0,
      comment: shared === null ? '' : (comments.find((c) => c.id === shared.commentId)?.url ?? ''),
      ignored,
    },
  };
}

/** A state read from an issue names that issue, whatever an older comment left out. */
function withIssue(state: ReleaseState, issue: number): ReleaseState {
  return state.issue === null ? { ...state, issue } : state;
}
