import { findingFingerprint } from '../engine/fingerprint.js';
import type { Finding, FindingLocation, RuleDefinition, Verdict, WaivedFinding } from '../engine/model.js';
import { builtInHelpUri } from './help-uri.js';
import type { RenderOptions } from './render-options.js';
import { describeSubject } from './subjects.js';

export const DEFAULT_INFORMATION_URI = 'https://www.npmjs.com/package/release-policy';

type Level = 'error' | 'warning';

const level = (severity: Finding['severity']): Level => (severity === 'error' ? 'error' : 'warning');

interface RuleDescriptor {
  id: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help?: { text: string };
  helpUri?: string;
  defaultConfiguration: { level: Level };
  properties: { spec: string };
}

function describeRule(ruleId: string, first: Finding, options: RenderOptions): RuleDescriptor {
  const rule: RuleDefinition | undefined = options.rules.find((candidate) => candidate.id === ruleId);
  const helpUri = options.ruleHelpUri?.(ruleId) ?? builtInHelpUri(ruleId, rule);
  const short = rule?.title || ruleId;
  // A finding can name a rule the catalogue lacks (an engine-made finding, or a catalogue
  // the caller filtered); it still gets a descriptor, so every ruleId resolves in the run.
  return {
    id: ruleId,
    shortDescription: { text: short },
    fullDescription: { text: rule?.docs.why || first.spec || short },
    ...(rule?.docs.fix ? { help: { text: rule.docs.fix } } : {}),
    ...(helpUri ? { helpUri } : {}),
    defaultConfiguration: { level: level(rule?.severity ?? first.severity) },
    properties: { spec: rule?.spec || first.spec },
  };
}

/** A repository-relative path as a relative URI reference against %SRCROOT%: each segment percent-encoded. */
function pathUri(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

function physicalLocation(at: FindingLocation) {
  return {
    artifactLocation: { uri: pathUri(at.file), uriBaseId: '%SRCROOT%' },
    region: { startLine: at.line, ...(at.column > 0 ? { startColumn: at.column } : {}) },
  };
}

function buildResult(finding: Finding, ruleIndex: number, options: RenderOptions) {
  const { kind, name } = finding.subject;
  // Code scanning shows only results with a physical location: a finding about no file (a
  // tag, a commit) points at the policy file that enabled its rule when the caller names it.
  const at = finding.location ?? (options.policyFile ? { file: options.policyFile, line: 1, column: 0 } : undefined);
  const physical = at === undefined ? {} : { physicalLocation: physicalLocation(at) };
  return {
    ruleId: finding.rule,
    ruleIndex,
    level: level(finding.severity),
    message: { text: finding.message },
    locations: [
      {
        ...physical,
        logicalLocations: [{ name, kind, fullyQualifiedName: describeSubject(finding.subject) }],
      },
    ],
    // The rule and subject, never the line or message: the same alert across runs and edits,
    // and the same identity a baseline file records.
    partialFingerprints: { 'releasePolicyFinding/v1': findingFingerprint(finding) },
    properties: { spec: finding.spec, fix: finding.fix },
  };
}

function suppress(finding: WaivedFinding) {
  const { reason, owner, expires } = finding.waiver;
  // A waiver is a suppression with its justification (SARIF §3.35), not a `note` result as
  // conftest emits: code scanning then shows it as dismissed, with who and until when.
  return [{ kind: 'external', status: 'accepted', justification: reason, properties: { owner, expires } }];
}

/** A finding the baseline accepts: accepted as a waived one is, with the baseline as its justification. */
const BASELINE_SUPPRESSION = [{ kind: 'external', status: 'accepted', justification: 'baseline' }];

export function renderSarif(verdict: Verdict, options: RenderOptions): string {
  const ruleIndex = new Map<string, number>();
  const rules: RuleDescriptor[] = [];
  const indexOf = (finding: Finding): number => {
    let index = ruleIndex.get(finding.rule);
    if (index === undefined) {
      index = rules.push(describeRule(finding.rule, finding, options)) - 1;
      ruleIndex.set(finding.rule, index);
    }
    return index;
  };

  const results = [
    ...verdict.findings.map((finding) => buildResult(finding, indexOf(finding), options)),
    ...verdict.waived.map((finding) => ({ ...buildResult(finding, indexOf(finding), options), suppressions: suppress(finding) })),
    ...(verdict.baselined ?? []).map((finding) => ({ ...buildResult(finding, indexOf(finding), options), suppressions: BASELINE_SUPPRESSION })),
  ];

  const failClosed = verdict.exitCode === 3;
  const notifications = Object.entries(verdict.unavailable).map(([fact, reason]) => ({
    level: failClosed ? 'error' : 'warning',
    message: { text: `fact ${fact} unavailable: ${reason}` },
    descriptor: { id: `unavailable/${fact}` },
  }));

  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'release-policy',
            version: options.toolVersion,
            informationUri: options.informationUri ?? DEFAULT_INFORMATION_URI,
            rules,
          },
        },
        // The category lets one repository upload a run per gate without one replacing another.
        automationDetails: { id: `release-policy/${verdict.gate}/` },
        invocations: [
          {
            // Missing facts under a fail-closed gate mean the evaluation did not complete.
            executionSuccessful: !failClosed,
            exitCode: verdict.exitCode,
            toolExecutionNotifications: notifications,
          },
        ],
        results,
        properties: {
          gate: verdict.gate,
          allowed: verdict.allowed,
          errors: verdict.errors,
          warnings: verdict.warnings,
        },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
