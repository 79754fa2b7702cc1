import type { Finding, RuleDefinition, Verdict, WaivedFinding } from '../../src/engine/model.js';
import type { RenderOptions } from '../../src/report/index.js';

type FindingParts = Partial<Omit<Finding, 'subject'>> & { subject?: string };

/** `subject: 'tag v0.1.0'` is read as kind `tag`, name `v0.1.0` (the name may hold spaces). */
export function finding(parts: FindingParts = {}): Finding {
  const [kind = 'tag', ...name] = (parts.subject ?? 'tag v0.1.0').split(' ');
  return {
    rule: parts.rule ?? 'dry-run-failure-no-tag',
    severity: parts.severity ?? 'error',
    message: parts.message ?? 'tag v0.1.0 exists but 0.1.0 is not published',
    subject: { kind, name: name.join(' ') },
    spec: parts.spec ?? 'Dry-Run Failure: do not tag',
    fix: parts.fix ?? 'delete the tag: git push origin :refs/tags/v0.1.0',
  };
}

export function waived(parts: FindingParts & { reason?: string; owner?: string; expires?: string } = {}): WaivedFinding {
  return {
    ...finding(parts),
    waiver: {
      reason: parts.reason ?? 'hotfix approved (SEC-42)',
      owner: parts.owner ?? '@release-captains',
      expires: parts.expires ?? '2026-11-01',
    },
  };
}

interface VerdictParts {
  gate?: string;
  findings?: Finding[];
  waived?: WaivedFinding[];
  unavailable?: Record<string, string>;
  /** Missing facts refuse the gate with exit 3, as the engine does for a fail-closed gate. */
  failClosed?: boolean;
}

/** Counts and the outcome follow from the findings, the way the engine derives them. */
export function verdict(parts: VerdictParts = {}): Verdict {
  const findings = parts.findings ?? [];
  const unavailable = parts.unavailable ?? {};
  const errors = findings.filter((f) => f.severity === 'error').length;
  const failClosed = (parts.failClosed ?? false) && Object.keys(unavailable).length > 0;
  const exitCode = failClosed ? 3 : errors > 0 ? 1 : 0;
  return {
    gate: parts.gate ?? 'ci',
    allowed: exitCode === 0,
    errors,
    warnings: findings.length - errors,
    findings,
    waived: parts.waived ?? [],
    unavailable,
    exitCode,
  };
}

export function rule(id: string, parts: Partial<RuleDefinition> = {}): RuleDefinition {
  const source = { text: 'true', at: { file: `/rules/${id}.yml`, line: 1, col: 1 }, block: false };
  return {
    id,
    title: `title of ${id}`,
    spec: `spec line of ${id}`,
    severity: 'error',
    gates: ['ci'],
    facts: [],
    options: {},
    when: null,
    variables: [],
    checks: [{ for: null, expression: source, message: source, subject: { kind: 'tag', name: source } }],
    docs: { why: `why ${id}`, fix: `fix ${id}` },
    file: `/rules/${id}.yml`,
    builtIn: true,
    ...parts,
  };
}

export function options(parts: Partial<RenderOptions> = {}): RenderOptions {
  return { color: false, rules: [], toolVersion: '0.1.0', ...parts };
}
