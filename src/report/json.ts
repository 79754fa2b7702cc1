import type { Finding, Verdict, WaivedFinding } from '../engine/model.js';
import type { RenderOptions } from './render-options.js';

// Fields are copied one by one, not spread: the JSON shape is a contract (README, `--format json`), so
// whatever the engine adds to its own objects must not leak into it, and key order stays
// stable for scripts that diff the output.
function findingJson(finding: Finding) {
  return {
    rule: finding.rule,
    severity: finding.severity,
    message: finding.message,
    subject: { kind: finding.subject.kind, name: finding.subject.name },
    spec: finding.spec,
    fix: finding.fix,
    ...(finding.location === undefined
      ? {}
      : { location: { file: finding.location.file, line: finding.location.line, column: finding.location.column } }),
  };
}

function waivedJson(finding: WaivedFinding) {
  const { reason, owner, expires } = finding.waiver;
  return { ...findingJson(finding), waiver: { reason, owner, expires } };
}

export function renderJson(verdict: Verdict, options: RenderOptions): string {
  const document = {
    gate: verdict.gate,
    verdict: {
      allowed: verdict.allowed,
      errors: verdict.errors,
      warnings: verdict.warnings,
      exitCode: verdict.exitCode,
    },
    findings: verdict.findings.map(findingJson),
    waived: verdict.waived.map(waivedJson),
    // Only when the policy names a baseline, so the output of a policy without one is as it was.
    ...(verdict.baselined ? { baselined: verdict.baselined.map(findingJson) } : {}),
    unavailable: { ...verdict.unavailable },
    tool: { name: 'release-policy', version: options.toolVersion },
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
