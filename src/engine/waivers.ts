import type { Diagnostic, WaiverConfig } from '../policy/model.js';
import type { CelRoot } from './cel-env.js';
import { compileExpression, type CompiledExpression } from './expression.js';

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

/**
 * The fields of one fact the texts read (`repo.dirty` → "dirty"); null when some text uses the
 * fact whole (passes it on, `has(...)`, indexes it), so every field must be read.
 */
export function fieldsReadIn(texts: readonly string[], fact: string): Set<string> | null {
  const fields = new Set<string>();
  const use = new RegExp(`\\b${fact}\\b(\\s*\\.\\s*([A-Za-z_]\\w*))?`, 'g');
  for (const text of texts) {
    for (const match of text.matchAll(use)) {
      // A name that merely ends in the fact's (`variables.repo`, `it.repo`) is not the fact.
      if (match.index > 0 && text[match.index - 1] === '.') continue;
      if (match[2] === undefined) return null;
      fields.add(match[2]);
    }
  }
  return fields;
}

/** Facts a waiver may read: the fact names its `when` mentions. */
export function factsNamedBy<T extends string>(waivers: WaiverConfig[], factNames: readonly T[]): T[] {
  return factsNamedIn(waivers.map((waiver) => waiver.when.text), factNames);
}

/** A waiver holds through the end of its `expires` day, UTC (inclusive, as documented). */
export function isExpired(expires: string, today: string): boolean {
  return expires < today;
}
