import { WAIVER_EXPIRED, WAIVER_INVALID, WAIVER_UNUSED } from '../engine/gate.js';
import type { RuleDefinition } from '../engine/model.js';

/** The project's home (package.json `homepage` and `repository` name it too). */
export const PROJECT_URL = 'https://github.com/release-policy/release-policy';

const WAIVER_RULES: ReadonlySet<string> = new Set([WAIVER_EXPIRED, WAIVER_INVALID, WAIVER_UNUSED]);

/**
 * Where the README documents a rule: built-in rules are rows of the "Built-in rules" table, or
 * of "Release-state rules" for those that read the release journal; the engine's waiver
 * findings are "Waivers". A project's own rules have no page here (undefined).
 */
export function builtInHelpUri(ruleId: string, rule: RuleDefinition | undefined): string | undefined {
  if (WAIVER_RULES.has(ruleId)) return `${PROJECT_URL}#waivers`;
  if (rule === undefined || !rule.builtIn) return undefined;
  return `${PROJECT_URL}#${rule.facts.includes('release') ? 'release-state-rules' : 'built-in-rules'}`;
}
