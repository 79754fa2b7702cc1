// `github.enforce: reopen`: when `policy check --gate ci` finds the release's issue closed on
// GitHub while the release is open (rule issue-closed-while-open), it opens the issue again
// and says why in one comment. The issue is read once more first: a run that finds it open
// already (reopened by hand, or by another job) changes nothing and posts nothing.
import { connect, githubRequest, type ConnectInput } from '../facts/github.js';
import { readGitHub } from '../facts/github-fact.js';
import { ADD_COMMENT, REOPEN_ISSUE } from '../facts/github-queries.js';
import type { GitHubConfig } from '../policy/model.js';

export const REOPEN_RULE = 'issue-closed-while-open';

/** Where to connect (the command's folder, environment, github: settings), and which issue. */
export interface ReopenRequest extends ConnectInput {
  config: GitHubConfig;
  issue: number;
  /** The rule's finding: names the release, its state and who closed the issue. */
  finding: string;
}

export interface ReopenResult {
  action: 'reopened' | 'already-open';
  repository: string;
  /** The comment's URL; "" when none was posted or GitHub did not say. */
  url: string;
}

/** The comment posted with the reopen. */
export function reopenComment(finding: string, issue: number): string {
  return [
    `Reopened by \`policy check --gate ci\` (rule \`${REOPEN_RULE}\`, \`github.enforce: reopen\`): this issue stays open until its release is resolved.`,
    '',
    `${finding.charAt(0).toUpperCase()}${finding.slice(1)}.`,
    '',
    `Run \`policy status\` to see what is pending; close the issue with \`policy run --phase closeout -- gh issue close ${issue}\` once the release is consistent.`,
  ].join('\n');
}

/** Throws GitHubUnavailable (its message is the reason, without the token) when GitHub cannot be asked or refuses. */
export async function reopenIssue(request: ReopenRequest): Promise<ReopenResult> {
  const connection = await connect(request);
  const view = await readGitHub(connection, request.issue);
  if (view.fact.issue.state !== 'CLOSED' || view.issueId === '') return { action: 'already-open', repository: connection.repository, url: '' };
  await githubRequest(connection, REOPEN_ISSUE, { issueId: view.issueId });
  const { data } = await githubRequest(connection, ADD_COMMENT, { subjectId: view.issueId, body: reopenComment(request.finding, request.issue) });
  return { action: 'reopened', repository: connection.repository, url: pick(data, ['addComment', 'commentEdge', 'node', 'url']) };
}

function pick(data: unknown, path: string[]): string {
  let at: unknown = data;
  for (const key of path) at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  return typeof at === 'string' ? at : '';
}
