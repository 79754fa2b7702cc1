// YAML with source positions: every later error (schema, unknown rule, CEL) points at
// the line and column the user wrote, not at a JSON path.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node as YamlNode, Pair, Scalar } from 'yaml';
import type { SourceText } from '../engine/model.js';
import type { Diagnostic, SourceLocation } from './model.js';

/** Keys and indexes from the document root, e.g. `['waivers', 0, 'when']`. */
export type YamlPath = readonly (string | number)[];

export interface YamlSource {
  file: string;
  /** The document as plain JS (maps → objects, sequences → arrays); null for an empty file. */
  value: unknown;
  /** YAML syntax errors; when non-empty, `value` must not be trusted. */
  errors: Diagnostic[];
  /** Where the node at `path` starts, or the nearest existing parent when it is absent. */
  locate(path: YamlPath): SourceLocation;
  /** Where the key of the map entry at `path` starts (for unknown keys); else `locate`. */
  locateKey(path: YamlPath): SourceLocation;
  /** The string scalar at `path` with where its text starts, or null when there is none. */
  textAt(path: YamlPath): SourceText | null;
}

interface Step {
  node: YamlNode | null;
  /** The map entry the node is the value of, when the last step went through a map. */
  pair: Pair | null;
  /** True when the whole path was found. */
  complete: boolean;
}

const SYNTAX_HINTS: Record<string, string> = {
  DUPLICATE_KEY: 'remove or rename one of the two entries with this key',
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs for indentation',
  BAD_INDENT: 'align this line with its siblings, or close the open bracket',
  BLOCK_AS_IMPLICIT_KEY: 'check the indentation of this line and the one above it',
  MULTILINE_IMPLICIT_KEY: 'check the indentation; a key must fit on one line, followed by `:`',
  MISSING_CHAR: 'close the quote or bracket that starts here',
  MULTIPLE_DOCS: 'keep one YAML document per file (remove the `---` separator)',
};

export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true, prettyErrors: false });
  const at = (offset: number): SourceLocation => ({ file, ...lineCounter.linePos(offset) });

  const errors = doc.errors.map((error): Diagnostic => {
    const offset = error.code === 'MISSING_CHAR' ? (findOpenQuote(doc, error.pos[0]) ?? error.pos[0]) : error.pos[0];
    const { line, col } = lineCounter.linePos(offset);
    return {
      file,
      line,
      col,
      key: 'yaml',
      message: error.message.split('\n')[0] ?? error.message,
      hint: SYNTAX_HINTS[error.code] ?? 'fix the YAML syntax here; the rest of the file was not checked',
    };
  });
  const value = errors.length > 0 ? null : toPlain(doc, errors, file);

  function nodeStart(node: YamlNode | null | undefined, pair: Pair | null): SourceLocation {
    // `key:` with nothing after it is a null scalar with an empty range; point at the key.
    const empty = !node?.range || (isScalar(node) && node.range[0] === node.range[1]);
    if (empty && pair && isScalar(pair.key) && pair.key.range) return at(pair.key.range[0]);
    if (node?.range) return at(node.range[0]);
    return { file, line: 1, col: 1 };
  }

  return {
    file,
    value,
    errors,
    locate(path) {
      const step = walk(doc, path);
      return nodeStart(step.node, step.pair);
    },
    locateKey(path) {
      const step = walk(doc, path);
      if (step.complete && step.pair && isScalar(step.pair.key) && step.pair.key.range) {
        return at(step.pair.key.range[0]);
      }
      return nodeStart(step.node, step.pair);
    },
    textAt(path) {
      const step = walk(doc, path);
      const node = step.node;
      if (!step.complete || !isScalar(node) || typeof node.value !== 'string' || !node.range) return null;
      return { text: node.value, ...locateText(node, text, at) };
    },
  };
}

/**
 * An unclosed quote runs to the end of the file, where yaml reports it; the place to fix
 * is where the quoted string opens.
 */
function findOpenQuote(doc: Document, errorOffset: number): number | null {
  let start: number | null = null;
  visit(doc, {
    Scalar(_, node) {
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
      if (quoted && node.range && node.range[0] < errorOffset && node.range[1] >= errorOffset) start = node.range[0];
    },
  });
  return start;
}

/** The document as plain JS; an alias bomb (`toJS` throws past maxAliasCount) is a syntax error. */
function toPlain(doc: Document, errors: Diagnostic[], file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    errors.push({ file, line: 1, col: 1, key: 'yaml', message, hint: 'use fewer aliases (`*name`)' });
    return null;
  }
}

/** Follows `path` from the root as far as it exists, resolving aliases on the way. */
function walk(doc: Document, path: YamlPath): Step {
  let node = doc.contents as YamlNode | null;
  let pair: Pair | null = null;
  for (const segment of path) {
    const container = isAlias(node) ? (node.resolve(doc) as YamlNode | undefined) : node;
    let next: YamlNode | null | undefined;
    let nextPair: Pair | null = null;
    if (isMap(container)) {
      nextPair = container.items.find((item) => isPair(item) && keyText(item.key) === String(segment)) ?? null;
      next = nextPair ? (nextPair.value as YamlNode | null) : undefined;
    } else if (isSeq(container)) {
      next = container.items[Number(segment)] as YamlNode | null | undefined;
    }
    if (next === undefined) return { node, pair, complete: false };
    node = next;
    pair = nextPair;
  }
  return { node, pair, complete: true };
}

function keyText(key: unknown): string | null {
  return isScalar(key) ? String(key.value) : null;
}

/**
 * Where a scalar's text begins. Quoted scalars start one column after the quote; block
 * scalars (`|`, `>`) start on the line after their header, at the content's indentation,
 * so a CEL error offset maps to line `at.line + n` and column `at.col + k`.
 */
function locateText(
  node: Scalar,
  text: string,
  at: (offset: number) => SourceLocation,
): { at: SourceLocation; block: boolean } {
  const start = node.range![0];
  if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') return { at: at(start + 1), block: false };
  if (node.type !== 'BLOCK_LITERAL' && node.type !== 'BLOCK_FOLDED') return { at: at(start), block: false };

  const headerEnd = text.indexOf('\n', start);
  const contentStart = headerEnd < 0 ? text.length : headerEnd + 1;
  const location = at(contentStart);
  // An explicit indentation indicator (`|2`, `>-4`) fixes the indentation relative to the parent.
  const explicit = /^[|>][-+]?([1-9])?/.exec(text.slice(start))?.[1];
  const token = node.srcToken as { indent?: number } | undefined;
  if (explicit && token?.indent !== undefined) {
    return { at: { ...location, col: token.indent + Number(explicit) + 1 }, block: true };
  }
  // The first non-blank line fixes the indentation (YAML 1.2, 8.1.1.1).
  const body = text.slice(contentStart, node.range![1]);
  const indent = /^(?:[ \t]*\n)*( *)\S/.exec(body)?.[1]?.length ?? 0;
  return { at: { ...location, col: indent + 1 }, block: true };
}
