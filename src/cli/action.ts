// The GitHub Action's entry (action.yml runs the bundle of this file, action/index.cjs): the
// action's inputs, which the runner hands over as INPUT_<NAME> variables, become the flags of
// `policy ci`, and the `github-token` input becomes GITHUB_TOKEN of this process only (never
// printed, never written to GITHUB_ENV, so later steps do not inherit it). Then the CLI runs as
// `policy ci ...` would.
const input = (name: string): string => (process.env[`INPUT_${name.toUpperCase()}`] ?? '').trim();

const args = ['ci'];
if (input('gate') !== '') args.push('--gate', input('gate'));
if (input('policy') !== '') args.push('--policy', input('policy'));
if (input('sarif') !== '') args.push('--sarif', input('sarif'));
if (input('fail-on') !== '') args.push('--fail-on', input('fail-on'));
if (input('fetch').toLowerCase() === 'false') args.push('--no-fetch');
const token = input('github-token');
if (token !== '') process.env.GITHUB_TOKEN = token;

// src/cli/main.ts runs the command in process.argv as it loads.
process.argv = [process.argv[0] ?? process.execPath, process.argv[1] ?? '', ...args];
void import('./main.js');
