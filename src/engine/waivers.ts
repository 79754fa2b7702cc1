import type { Diagnostic, WaiverConfig } from '../policy/model.js';
import type { CelRoot } from './cel-env.js';
import { compileExpression, type CompiledExpression } from './compile.js';

export interface CompiledWaiver {
  config: WaiverConfig;
  when: CompiledExpression;
}

/** Compiles each waiver's `when` against every fact plus the `finding` it would waive. */
export function compileWaivers(
  root: CelRoot,
  waivers: WaiverConfig[],
): { waivers: CompiledWaiver[]; diagnostics: Diagnostic[] } {
  const env = root.env.clone();
  for (const [fact, type] of Object.entries(root.factTypes)) env.registerVariable(fact, type);
  env.registerVariable('finding', root.findingType);
  const compiled: CompiledWaiver[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const waiver of waivers) {
    const result = compileExpression(
      env,
      waiver.when,
      `waivers[${waiver.index}].when`,
      'bool',
    );
    if (result.diagnostic) {
      diagnostics.push({
        ...result.diagnostic,
        hint: 'A waiver `when` is CEL over the facts and `finding` (rule, severity, message, subject.kind, subject.name).',
      });
    }
    if (result.compiled) compiled.push({ config: waiver, when: result.compiled });
  }
  return { waivers: compiled, diagnostics };
}

/** The fact names that CEL texts mention (as whole identifiers). */
export function factsNamedIn<T extends string>(texts: readonly string[], factNames: readonly T[]): T[] {
  return factNames.filter((fact) => texts.some((text) => new RegExp(`\\b${fact}\\b`).test(text)));
}

/** Facts a waiver may read: the fact names its `when` mentions. */
export function factsNamedBy<T extends string>(waivers: WaiverConfig[], factNames: readonly T[]): T[] {
  return factsNamedIn(waivers.map((waiver) => waiver.when.text), factNames);
}

/** A waiver holds through the end of its `expires` day, UTC (inclusive, as documented). */
export function isExpired(expires: string, today: string): boolean {
  return expires < today;
}
