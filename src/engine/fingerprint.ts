import { createHash } from 'node:crypto';
import type { Finding } from './model.js';

/**
 * A finding's identity across runs: its rule and what it is about, never its message (which
 * names versions and counts that change) or its line (which moves with unrelated edits).
 * SARIF's partialFingerprints and the baseline file both use it, so a finding accepted in
 * the baseline is the same alert code scanning shows.
 */
export function findingFingerprint(finding: Pick<Finding, 'rule' | 'subject'>): string {
  return createHash('sha256')
    .update(`${finding.rule}\0${finding.subject.kind}\0${finding.subject.name}`)
    .digest('hex')
    .slice(0, 32);
}
