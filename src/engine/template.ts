import type { Environment } from '@marcbachmann/cel-js';
import type { Diagnostic } from '../policy/model.js';
import { compileExpressionAt, type CelContext, type CompiledExpression } from './expression.js';
import type { SourceText } from './model.js';

/** A message template: literal text with `{{ cel }}` parts, like Kubernetes' messageExpression made inline. */
export interface CompiledTemplate {
  source: SourceText;
  render(context: CelContext): string;
}

const PART = /\{\{(.*?)\}\}/gs;

export function compileTemplate(
  env: Environment,
  source: SourceText,
  key: string,
): { value: CompiledTemplate | null; diagnostics: Diagnostic[] } {
  const pieces: (string | CompiledExpression)[] = [];
  const diagnostics: Diagnostic[] = [];
  let last = 0;
  for (const match of source.text.matchAll(PART)) {
    const start = match.index ?? 0;
    pieces.push(source.text.slice(last, start));
    const inner = match[1] ?? '';
    const result = compileExpressionAt(env, source, inner, start + 2, key, null);
    if (result.diagnostic) diagnostics.push(result.diagnostic);
    if (result.compiled) pieces.push(result.compiled);
    last = start + match[0].length;
  }
  pieces.push(source.text.slice(last));
  if (diagnostics.length > 0) return { value: null, diagnostics };
  return {
    value: {
      source,
      render: (context) =>
        pieces.map((piece) => (typeof piece === 'string' ? piece : formatValue(piece.run(context)))).join(''),
    },
    diagnostics,
  };
}

export function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(formatValue).join(', ');
  if (value === null || value === undefined) return '';
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
