import type { Finding, RuleDefinition, Verdict, WaivedFinding } from '../engine/model.js';
import type { RenderOptions } from './render-options.js';
import { describeSubject } from './subjects.js';

export const DEFAULT_INFORMATION_URI = 'https://www.npmjs.com/package/release-policy';

type Level = 'error' | 'warning';

const level = (severity: Finding['severity']): Level => (severity === 'error' ? 'error' : 'warning');

interface RuleDescriptor {
  id: string;
  shortDescription: { text: string };
  fullDescription?: { text: string };
  help?: { text: string };
  helpUri?: string;
  defaultConfiguration: { level: Level };
  properties: { spec: string };
}

function describeRule(ruleId: string, first: Finding, options: RenderOptions): RuleDescriptor {
  const rule: RuleDefinition | undefined = options.rules.find((candidate) => candidate.id === ruleId);
  const helpUri = options.ruleHelpUri?.(ruleId);
  // A finding can name a rule the catalogue lacks (an engine-made finding, or a catalogue
  // the caller filtered); it still gets a descriptor, so every ruleId resolves in the run.
  return {
    id: ruleId,
    shortDescription: { text: rule?.title || ruleId },
    ...(rule?.docs.why ? { fullDescription: { text: rule.docs.why } } : {}),
    ...(rule?.docs.fix ? { help: { text: rule.docs.fix } } : {}),
    ...(helpUri ? { helpUri } : {}),
    defaultConfiguration: { level: level(rule?.severity ?? first.severity) },
    properties: { spec: rule?.spec || first.spec },
  };
}

function buildResult(finding: Finding, ruleIndex: number, options: RenderOptions) {
  const { kind, name } = finding.subject;
  const physical = options.policyFile
    ? { physicalLocation: { artifactLocation: { uri: options.policyFile }, region: { startLine: 1 } } }
    : {};
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
    // Every result of a rule may share the policy file as its location; the subject is what
    // tells two of them apart, so code scanning keeps one alert per rule and subject.
    partialFingerprints: { 'releasePolicySubject/v1': `${kind}:${name}` },
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
