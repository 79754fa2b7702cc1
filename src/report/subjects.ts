import type { Finding, Subject } from '../engine/model.js';

export interface SubjectGroup<T extends Finding> {
  subject: Subject;
  findings: T[];
}

export function describeSubject(subject: Subject): string {
  return `${subject.kind} ${subject.name}`;
}

/**
 * Groups findings by subject: kinds in the order they first appear, then names in the order
 * they first appear within a kind, findings in their original order. Stable so that two runs
 * over the same facts print the same text (and diff cleanly in CI logs).
 */
export function groupBySubject<T extends Finding>(findings: readonly T[]): SubjectGroup<T>[] {
  const kinds = new Map<string, Map<string, SubjectGroup<T>>>();
  for (const finding of findings) {
    const { kind, name } = finding.subject;
    let names = kinds.get(kind);
    if (!names) {
      names = new Map();
      kinds.set(kind, names);
    }
    let group = names.get(name);
    if (!group) {
      group = { subject: { kind, name }, findings: [] };
      names.set(name, group);
    }
    group.findings.push(finding);
  }
  return [...kinds.values()].flatMap((names) => [...names.values()]);
}

export function severityWord(severity: Finding['severity']): 'error' | 'warning' {
  return severity === 'error' ? 'error' : 'warning';
}
