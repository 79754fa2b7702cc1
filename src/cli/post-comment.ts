// Posts the status comment on the release's issue: one comment per release version, created
// once and then updated in place (found among the issue's newest comments by its hidden state:
// written by the token's own user, for the same package and version); and, when the
// repository has `status:*` labels, the issue's status label follows the state.
import { connect, githubRequest, type GitHubConnection, type ConnectInput } from '../facts/github.js';
import { readGitHub, type GitHubView } from '../facts/github-fact.js';
import { ADD_COMMENT, ADD_LABELS, REMOVE_LABELS, UPDATE_COMMENT } from '../facts/github-queries.js';
import type { GitHubConfig } from '../policy/model.js';
import { findStateInComment } from '../release/comment.js';
import type { ReleaseState } from '../release/model.js';

/** Where to connect (the command's folder, environment, github: settings), and what to post. */
export interface PostRequest extends ConnectInput {
  config: GitHubConfig;
  issue: number;
  state: ReleaseState;
  /** The rendered comment, already redacted. */
  body: string;
  /** The command's earlier read of GitHub (policy run's gate): used when it is of this issue, so the command asks once. */
  earlier?: Promise<GitHubView>;
}

export interface PostResult {
  action: 'created' | 'updated' | 'unchanged';
  url: string;
  repository: string;
  /** The status label put on the issue; "" when none changed. */
  label: string;
}

/** The `status:*` label a state calls for; null leaves the labels as they are. */
export function statusLabel(status: ReleaseState['status']): string | null {
  switch (status) {
    case 'blocked':
    case 'unknown':
      return 'status:blocked';
    case 'in-progress':
      return 'status:in-progress';
    case 'released':
      return 'status:released';
    default:
      return null;
  }
}

/** Throws GitHubUnavailable (its message is the reason, without the token) when GitHub cannot be asked or refuses. */
export async function postStatusComment(request: PostRequest): Promise<PostResult> {
  const connection = await connect(request);
  const earlier = await request.earlier?.catch(() => null);
  const view = earlier?.fact.issue.number === request.issue ? earlier : await readGitHub(connection, request.issue);
  const mine = ownComment(view, request.state);
  let action: PostResult['action'];
  let url: string;
  if (mine === null) {
    const { data } = await githubRequest(connection, ADD_COMMENT, { subjectId: view.issueId, body: request.body });
    url = pick(data, ['addComment', 'commentEdge', 'node', 'url']);
    action = 'created';
  } else if (mine.body === request.body) {
    ({ url } = mine);
    action = 'unchanged';
  } else {
    const { data } = await githubRequest(connection, UPDATE_COMMENT, { id: mine.id, body: request.body });
    url = pick(data, ['updateIssueComment', 'issueComment', 'url']);
    action = 'updated';
  }
  const label = await followLabel(connection, view, request.state);
  return { action, url, repository: connection.repository, label };
}

/** The newest comment by the token's own user (viewerDidAuthor, else its login) whose hidden state is this release's (package and version). */
function ownComment(view: GitHubView, state: ReleaseState): { id: string; body: string; url: string } | null {
  const found = view.fact.issue.comments.filter((comment) => {
    if (!view.ownComments.has(comment.id) && comment.author !== view.fact.viewer) return false;
    const carried = findStateInComment(comment.body);
    return carried !== null && carried.package === state.package && carried.version === state.version;
  });
  return found.at(-1) ?? null;
}

/** Puts the state's status label on the issue and takes the other `status:*` labels off; only labels the repository has. */
async function followLabel(connection: GitHubConnection, view: GitHubView, state: ReleaseState): Promise<string> {
  const wanted = statusLabel(state.status);
  const target = wanted === null ? undefined : view.statusLabels.find((label) => label.name === wanted);
  if (target === undefined) return '';
  const stale = view.issueLabels.filter((label) => label.name.startsWith('status:') && label.name !== target.name && label.id !== '');
  if (stale.length > 0) await githubRequest(connection, REMOVE_LABELS, { labelableId: view.issueId, labelIds: stale.map((label) => label.id) });
  if (view.issueLabels.some((label) => label.name === target.name)) return stale.length > 0 ? target.name : '';
  await githubRequest(connection, ADD_LABELS, { labelableId: view.issueId, labelIds: [target.id] });
  return target.name;
}

/** A string at `path` in a mutation's answer; "" when absent (the mutation itself succeeded). */
function pick(data: unknown, path: string[]): string {
  let at: unknown = data;
  for (const key of path) at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  return typeof at === 'string' ? at : '';
}
