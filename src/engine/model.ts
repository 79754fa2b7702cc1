import type { FactName } from '../facts/model.js';
import type { SourceLocation } from '../policy/model.js';

export const GATES = [
  'pre-push',
  'pre-commit',
  'commit-msg',
  'tag',
  'start-issue',
  'close-issue',
  'bump',
  'publish',
  'ci',
  'review',
  'audit',
] as const;
export type GateName = (typeof GATES)[number];

/** A CEL expression or `{{ }}` template as written in a YAML file, with where its text starts. */
export interface SourceText {
  text: string;
  at: SourceLocation;
  /** Block scalars (`|`, `>`) keep every line at `at.col`; used to map CEL offsets to lines. */
  block: boolean;
}

export interface RuleVariable {
  name: string;
  expression: SourceText;
}

export interface RuleCheck {
  /** CEL list expression; the check is evaluated once per element, bound as `it`. */
  for: SourceText | null;
  /** CEL boolean that must hold; `false` is a finding. */
  expression: SourceText;
  /** Template: `{{ cel }}` parts are CEL expressions rendered as text. */
  message: SourceText;
  /** Templates naming what the finding is about. */
  subject: { kind: string; name: SourceText };
}

/** A rule as read from `rules/<id>.yml` (validated against schema/rule.schema.json). */
export interface RuleDefinition {
  id: string;
  title: string;
  spec: string;
  severity: 'warn' | 'error';
  gates: GateName[];
  facts: FactName[];
  /** JSON Schema of the rule's options (type object), `{}` when it has none. */
  options: Record<string, unknown>;
  when: SourceText | null;
  variables: RuleVariable[];
  checks: RuleCheck[];
  docs: { why: string; fix: string };
  /** Absolute path of the rule file. */
  file: string;
  builtIn: boolean;
}

export interface Subject {
  kind: string;
  name: string;
}

/** Where a finding can be shown in the repository: a repository-relative path (`/`-separated), 1-based line and column. */
export interface FindingLocation {
  file: string;
  line: number;
  /** 1-based; 0 when only the line is known. */
  column: number;
}

export interface Finding {
  rule: string;
  severity: 'error' | 'warn';
  message: string;
  subject: Subject;
  spec: string;
  fix: string;
  /**
   * The file and line the finding is about (a manifest's version line, a waiver); absent when it is about no file (a tag, a commit).
   * Set by src/report/locate.ts; the engine sets it only on a rule that could not be evaluated, with the rule file's absolute path,
   * which locateFindings makes repository-relative (or drops).
   */
  location?: FindingLocation;
}

export interface WaivedFinding extends Finding {
  waiver: { reason: string; owner: string; expires: string };
}

export interface Verdict {
  gate: string;
  allowed: boolean;
  errors: number;
  warnings: number;
  findings: Finding[];
  waived: WaivedFinding[];
  /**
   * Findings the policy's baseline file accepts (`policy baseline`): shown apart, like waived
   * ones, and not counted; absent when the policy names no baseline.
   */
  baselined?: Finding[];
  /** Facts a rule of this gate needed but could not be read, with the reason. */
  unavailable: Record<string, string>;
  /** 0 allowed, 1 refused, 3 facts unavailable under a fail-closed gate. */
  exitCode: 0 | 1 | 3;
}
