/**
 * The one way repository text (tag names, commit subjects, commands, reasons, excerpts) is
 * placed in Markdown: the `markdown` report and the status comment both go through here.
 * Such text is never trusted to be Markdown. It is either inline text, with HTML special
 * characters as entities and Markdown punctuation backslash-escaped, or a code span whose
 * fence is longer than any backtick run inside it (CommonMark's code span rule), so neither
 * raw HTML (`<img>`, `<a href>`, `<!--`) nor emphasis, links or autolinks can come out of it.
 * Pure.
 */

export interface MarkdownContext {
  /**
   * Inside a GFM table cell: a `|` ends the cell even inside a code span unless escaped, a
   * cell is one source line, and no block (heading, list) can start in it.
   */
  table?: boolean;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** `&`, `<`, `>` and `"` as entities: text that cannot open, close or fill in an HTML tag. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ENTITIES[c] ?? c);
}

/** Always escaped: they open code, emphasis, links, strikethrough, math, mentions, table cells. */
const ALWAYS = new Set(['\\', '`', '*', '[', ']', '|', '~', '$', '@']);
/** Block markers: they only matter where a line starts, so only a leading one is escaped. */
const LINE_START = /^(?:[#+\-=]|\d{1,9}[.)])/;
const ALNUM = /[\p{L}\p{N}]/u;

/**
 * Inline text: HTML special characters as entities, Markdown punctuation backslash-escaped
 * (`|` too, so the same text is safe in a table cell), line breaks as `<br>` (a table cell or
 * a list item is one line, and a line break in user text would let its next line start a
 * heading or a list). The escapes are the ones CommonMark and GFM need in running text: `(`,
 * `)` and `!` only make links and images after a `[` or `]`, which are escaped, and `#`, `+`,
 * `-` and `1.` only make blocks where a line starts (escaped there when `lineStart`, for text
 * that begins a line), so the text stays readable where a person reads the Markdown itself (a
 * terminal). `_` between letters cannot open emphasis and stays (`RELEASE_v0.2.0.md`); `://`,
 * `www.` and `@` are broken up so that no autolink or mention comes out of repository text.
 */
export function escapeText(text: string, lineStart = true): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line, index) => escapeLine(line, lineStart || index > 0))
    .join('<br>');
}

function escapeLine(line: string, lineStart: boolean): string {
  let out = '';
  const marker = lineStart ? LINE_START.exec(line) : null;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i] ?? '';
    const prev = line[i - 1] ?? '';
    const next = line[i + 1] ?? '';
    if (marker !== null && i === marker[0].length - 1) out += `\\${c}`;
    else if (c in ENTITIES) out += ENTITIES[c];
    else if (ALWAYS.has(c)) out += `\\${c}`;
    else if (c === '_' && !(ALNUM.test(prev) && ALNUM.test(next))) out += '\\_';
    else if (c === ':' && next === '/') out += '\\:';
    else if (c === '/' && next === '/') out += '\\/';
    else if (c === '.' && /www$/i.test(line.slice(0, i))) out += '\\.';
    else out += c;
  }
  return out;
}

/**
 * `text` as one code span: shown exactly, in monospace, with nothing inside it parsed (the
 * fence as `fenceCode` makes it). Line breaks become spaces (a code span shows them so, and a
 * real one would let the next line start a block). In a table a `|` would end the cell even
 * inside the span, and GFM renderers differ on `\|` there when a backslash precedes it, so text
 * with a pipe is escaped inline text in a table instead.
 */
export function codeSpan(text: string, context: MarkdownContext = {}): string {
  const content = text.replace(/\r\n|\r|\n/g, ' ');
  if (content === '') return '';
  if (context.table && content.includes('|')) return escapeText(content, false);
  return fenceCode(content);
}

/**
 * `text` between backtick fences one longer than the longest run inside it, padded with a
 * space where it starts or ends with a backtick or a space: the span CommonMark reads back as
 * exactly `text`. Line breaks are kept, for text also shown on a terminal (a next action);
 * `codeSpan` is the one for Markdown output.
 */
export function fenceCode(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * Text whose only markup is backtick code spans, as rule messages and fixes, reasons of
 * unavailable facts and next actions are written ("rerun it with `policy run -- ...`"), with
 * repository text interpolated into it. Code spans are found as CommonMark finds them (a run
 * of n backticks closes at the next run of exactly n; a run with no match is literal text),
 * so the result reads as its author meant; each span is then rebuilt with `codeSpan` and the
 * text between is escaped with `escapeText`, so whatever the interpolated text holds (an
 * unmatched backtick, `<img ...>`, `-->`), it comes out as text.
 */
export function markdownFromText(text: string, context: MarkdownContext = {}): string {
  let out = '';
  let textStart = 0;
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '`') {
      i += 1;
      continue;
    }
    const open = runEnd(text, i);
    const close = closingRun(text, open, open - i);
    if (close === -1) {
      i = open;
      continue;
    }
    out += escapeText(text.slice(textStart, i), textStart === 0 && !context.table);
    out += codeSpan(spanContent(text.slice(open, close)), context);
    i = close + (open - i);
    textStart = i;
  }
  return out + escapeText(text.slice(textStart), textStart === 0 && !context.table);
}

function runEnd(text: string, start: number): number {
  let end = start;
  while (text[end] === '`') end += 1;
  return end;
}

/** Where the next run of exactly `length` backticks from `from` starts, or -1. */
function closingRun(text: string, from: number, length: number): number {
  let i = from;
  while (i < text.length) {
    if (text[i] !== '`') {
      i += 1;
      continue;
    }
    const end = runEnd(text, i);
    if (end - i === length) return i;
    i = end;
  }
  return -1;
}

/** A code span's content as CommonMark reads it: line breaks as spaces, one padding space off each side. */
function spanContent(raw: string): string {
  const content = raw.replace(/\r\n|\r|\n/g, ' ');
  return /^ .* $/s.test(content) && content.trim() !== '' ? content.slice(1, -1) : content;
}
