// One CEL expression compiled and type-checked against an environment, its errors placed at
// their YAML position. Rules (compile.ts), message templates (template.ts) and waivers use it.
import type { Environment } from '@marcbachmann/cel-js';
import type { Diagnostic } from '../policy/model.js';
import type { SourceText } from './model.js';

export type CelContext = Record<string, unknown>;

export interface CompiledExpression {
  source: SourceText;
  run(context: CelContext): unknown;
}

/** Compiles and type-checks one expression; errors become diagnostics at the YAML position. */
export function compileExpression(
  env: Environment,
  source: SourceText,
  key: string,
  expected: string | null,
): { compiled: CompiledExpression | null; type: string; diagnostic: Diagnostic | null } {
  return compileExpressionAt(env, source, source.text, 0, key, expected);
}

/** Like compileExpression for an expression that sits at `offset` inside `source.text`. */
export function compileExpressionAt(
  env: Environment,
  source: SourceText,
  text: string,
  offset: number,
  key: string,
  expected: string | null,
): { compiled: CompiledExpression | null; type: string; diagnostic: Diagnostic | null } {
  let run: (context: CelContext) => unknown;
  try {
    const parsed = env.parse(text);
    const checked = parsed.check();
    if (!checked.valid) {
      const error = checked.error;
      return {
        compiled: null,
        type: '',
        diagnostic: celDiagnostic(source, offset + (error?.range?.start ?? 0), key, error?.summary ?? String(error?.message)),
      };
    }
    const type = checked.type ?? 'dyn';
    if (expected && type !== expected && type !== 'dyn') {
      return {
        compiled: null,
        type,
        diagnostic: celDiagnostic(source, offset, key, `expression has type ${type}, expected ${expected}`),
      };
    }
    run = (context) => parsed(context);
    return { compiled: { source, run }, type, diagnostic: null };
  } catch (error) {
    const e = error as { range?: { start: number }; summary?: string; message?: string };
    return {
      compiled: null,
      type: '',
      diagnostic: celDiagnostic(source, offset + (e.range?.start ?? 0), key, e.summary ?? String(e.message)),
    };
  }
}

export function celDiagnostic(source: SourceText, offset: number, key: string, message: string): Diagnostic {
  const before = source.text.slice(0, offset);
  const lines = before.split('\n');
  const lineOffset = lines.length - 1;
  const lastLine = lines[lines.length - 1] ?? '';
  return {
    file: source.at.file,
    line: source.at.line + lineOffset,
    col: lineOffset === 0 ? source.at.col + lastLine.length : (source.block ? source.at.col : 1) + lastLine.length,
    key,
    message: `CEL: ${message.split('\n')[0]}`,
    hint: 'Expressions are CEL over the facts in schema/facts.schema.json; `policy explain <rule>` lists the facts a rule declares.',
  };
}
