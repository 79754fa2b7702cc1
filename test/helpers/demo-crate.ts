// The demo crate's release commit the acceptance tests start from: crate demo 0.2.0 on a
// branch of issue 7, released to the loopback registry named `local`.
import { writeCargoConfig, writeCrate } from '../../scripts/loopback-registry.mjs';
import type { Files, TempRepo } from './git-repo.js';

export const DEMO_POLICY = 'version: 1\npackages:\n  - name: demo\n    registry: local\nissues:\n  branch: "issue-{issue}-*"\n';
export const DEMO_NOTES = "# demo v0.2.0\n\n## What's in this release\n\n- the answer\n\n## Validation\n\n- cargo test\n";
/** cargo's output, its home and the registry's config stay out of the package and the tree. */
export const DEMO_GITIGNORE = '/target\n/.cargo-home\n/.cargo/\n/Cargo.lock\n';

/** Writes crate demo 0.2.0 (with `lib` as its source) and the registry config, and commits the release. */
export function commitDemoRelease(repo: TempRepo, registry: { indexUrl: string }, options: { lib?: string; files?: Files } = {}): string {
  writeCrate(repo.dir, { name: 'demo', version: '0.2.0', ...(options.lib === undefined ? {} : { lib: options.lib }) });
  writeCargoConfig(repo.dir, registry);
  return repo.commit('release demo 0.2.0 (#7)', {
    'release-policy.yml': DEMO_POLICY,
    'RELEASE_v0.2.0.md': DEMO_NOTES,
    '.gitignore': DEMO_GITIGNORE,
    ...options.files,
  });
}
