// Every GraphQL operation the tool sends to GitHub, in one place so that one test validates
// them all against GitHub's published schema (test/facts/github-queries.test.ts).
// `viewerDidAuthor` tells the token's own comments: an Actions token's `viewer.login` and the
// login on its comments are not spelled the same (`github-actions[bot]`, `github-actions`).
// Comments are named by `id` (a node id): `databaseId` is a 32-bit field and real ids are past 2^31.

/** How many of the release issue's comments and events are read (the newest). */
export const ISSUE_COMMENTS = 50;
/** Open issues looked at for the tool's marker or a status:blocked label, the most recently updated first. */
export const OPEN_ISSUES = 50;
export const OPEN_ISSUE_COMMENTS = 20;

const COMMENT_FIELDS = 'id author { login } authorAssociation createdAt updatedAt body url';
const OPEN_ISSUE_FIELDS = `number title labels(first: 100) { nodes { name } } comments(last: ${OPEN_ISSUE_COMMENTS}) { nodes { ${COMMENT_FIELDS} } }`;

/**
 * The `github` fact in one request: the token's login, the rate limit, the repository's
 * `status:*` labels, the release's issue (skipped for issue 0) with its newest comments and
 * closed/reopened events, and the open issues, so that a clone without a journal finds a
 * blocked release by its marker (among the most recently updated) or its status:blocked
 * label (however long ago it was updated).
 */
export const FACT_QUERY = `query ReleasePolicyFacts($owner: String!, $name: String!, $number: Int!, $withIssue: Boolean!) {
  viewer { login }
  rateLimit { remaining resetAt cost }
  repository(owner: $owner, name: $name) {
    id
    nameWithOwner
    labels(first: 100, query: "status:") { nodes { id name } }
    issue(number: $number) @include(if: $withIssue) {
      id
      number
      state
      stateReason
      title
      labels(first: 100) { nodes { id name } }
      comments(last: ${ISSUE_COMMENTS}) { nodes { ${COMMENT_FIELDS} viewerDidAuthor } pageInfo { hasPreviousPage startCursor } }
      timelineItems(last: ${ISSUE_COMMENTS}, itemTypes: [CLOSED_EVENT, REOPENED_EVENT]) {
        nodes {
          __typename
          ... on ClosedEvent { actor { login } createdAt }
          ... on ReopenedEvent { actor { login } createdAt }
        }
      }
    }
    issues(states: [OPEN], first: ${OPEN_ISSUES}, orderBy: { field: UPDATED_AT, direction: DESC }) { nodes { ${OPEN_ISSUE_FIELDS} } }
    labelled: issues(states: [OPEN], labels: ["status:blocked"], first: ${OPEN_ISSUES}, orderBy: { field: UPDATED_AT, direction: DESC }) {
      nodes { ${OPEN_ISSUE_FIELDS} }
    }
  }
}`;

/** How many older pages of the release issue's comments are read, at most, to find the tool's status comment. */
export const OLDER_PAGES = 10;

/**
 * The release issue's comments before `before`, 100 at a time: asked only when the newest
 * ISSUE_COMMENTS hold no status comment and there are older ones (a busy issue), so the
 * comment is found (and updated, not duplicated) wherever it is.
 */
export const OLDER_COMMENTS = `query ReleasePolicyOlderComments($owner: String!, $name: String!, $number: Int!, $before: String!) {
  repository(owner: $owner, name: $name) {
    issue(number: $number) {
      comments(last: 100, before: $before) { nodes { ${COMMENT_FIELDS} viewerDidAuthor } pageInfo { hasPreviousPage startCursor } }
    }
  }
}`;

export const ADD_COMMENT = `mutation ReleasePolicyAddComment($subjectId: ID!, $body: String!) {
  addComment(input: { subjectId: $subjectId, body: $body }) { commentEdge { node { id url } } }
}`;

export const UPDATE_COMMENT = `mutation ReleasePolicyUpdateComment($id: ID!, $body: String!) {
  updateIssueComment(input: { id: $id, body: $body }) { issueComment { id url } }
}`;

export const ADD_LABELS = `mutation ReleasePolicyAddLabels($labelableId: ID!, $labelIds: [ID!]!) {
  addLabelsToLabelable(input: { labelableId: $labelableId, labelIds: $labelIds }) { clientMutationId }
}`;

export const REMOVE_LABELS = `mutation ReleasePolicyRemoveLabels($labelableId: ID!, $labelIds: [ID!]!) {
  removeLabelsFromLabelable(input: { labelableId: $labelableId, labelIds: $labelIds }) { clientMutationId }
}`;

/** `github.enforce: reopen`: the release's issue, closed too early, opened again (its comment is ADD_COMMENT). */
export const REOPEN_ISSUE = `mutation ReleasePolicyReopenIssue($issueId: ID!) {
  reopenIssue(input: { issueId: $issueId }) { issue { id state url } }
}`;

/** All of them, for the schema test. */
export const GITHUB_OPERATIONS: Record<string, string> = { FACT_QUERY, OLDER_COMMENTS, ADD_COMMENT, UPDATE_COMMENT, ADD_LABELS, REMOVE_LABELS, REOPEN_ISSUE };
