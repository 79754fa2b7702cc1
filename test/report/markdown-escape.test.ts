// Repository text in Markdown, checked by rendering with a real CommonMark renderer
// (markdown-it, with raw HTML and autolinks on, as GitHub renders job summaries and comments).
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { codeSpan, escapeHtml, escapeText, markdownFromText } from '../../src/report/markdown-escape.js';

const md = new MarkdownIt({ html: true, linkify: true });
// GitHub links `https://…`, `www.…` and e-mail addresses, not bare `example.com`.
md.linkify.set({ fuzzyLink: false });

/** Text as it shows in the browser: entities markdown-it writes, decoded. */
function decode(html: string): string {
  return html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

/** Every HTML tag in `html` except the ones listed: what the renderer made into elements. */
function elements(html: string, allowed: RegExp): string[] {
  return [...html.matchAll(/<!--|<\/?[a-z][^>]*>/gi)].map((m) => m[0]).filter((tag) => !allowed.test(tag));
}

const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '<a href="https://evil.example/">click</a>',
  'v9.9.3-``<b>INJ</b>`a`',
  'x --> <img src=x> <!-- y',
  '<!-- hides the rest',
  '<http://evil.example> and <mail@evil.example>',
  '`` ` ``` <b>x</b> `',
  '\\<b>bold\\</b> a\\|b ends with \\',
  '*em* _u_ __b__ ~~s~~ $x^2$ **<i>i</i>**',
  '[link](https://evil.example) ![img](https://evil.example/x.png) [ref]: https://evil.example',
  'https://evil.example/x www.evil.example mail@evil.example @someone',
  '&lt;b&gt; &#60;b&#62; &amp;',
  '# heading',
  '- item',
  '1. item',
  '> quote',
  '| a | b |',
  '<script>alert(1)</script><style>*{}</style>',
  'RELEASE_v0.2.0.md snake_case_name _leading and trailing_',
];

describe('escapeText', () => {
  it.each(HOSTILE)('%s renders as exactly its text, with no element and no link', (text) => {
    const html = md.renderInline(escapeText(text));
    expect(elements(html, /^$/)).toEqual([]);
    expect(decode(html)).toBe(text);
  });

  it('keeps text in a paragraph after a line break: it cannot start a heading, list or HTML block', () => {
    const text = 'first\n# heading\n- item\n<div>block</div>\n1) item';
    const html = md.render(`- ${escapeText(text)}\n`);
    expect(elements(html, /^<\/?(ul|li|br)>$/)).toEqual([]);
    expect(decode(html.replace(/<br>\n?/g, '\n'))).toBe(`<ul>\n<li>${text}</li>\n</ul>\n`);
  });

  it('leaves ordinary text as it is, so a terminal shows it readably', () => {
    expect(escapeText('cargo publish --registry local --dry-run', false)).toBe('cargo publish --registry local --dry-run');
    expect(escapeText('demo 0.2.0 -> 0.2.2 (no notes), see RELEASE_v0.2.2.md')).toBe('demo 0.2.0 -> 0.2.2 (no notes), see RELEASE_v0.2.2.md'.replace('>', '&gt;'));
  });

  it('escapes the four HTML characters', () => {
    expect(escapeHtml('<a href="x">&</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
  });
});

describe('codeSpan', () => {
  it.each(HOSTILE)('%s renders as one code element holding exactly the text', (text) => {
    const html = md.renderInline(codeSpan(text));
    expect(html).toBe(`<code>${md.utils.escapeHtml(text)}</code>`);
  });

  it('uses a fence longer than any backtick run, padded where the text starts or ends with one', () => {
    expect(codeSpan('git tag v1')).toBe('`git tag v1`');
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('``x')).toBe('``` ``x ```');
    expect(codeSpan(' x ')).toBe('`  x  `');
    expect(md.renderInline(codeSpan(' x '))).toBe('<code> x </code>');
    expect(codeSpan('a\nb')).toBe('`a b`');
  });
});

describe('markdownFromText', () => {
  it('keeps the code spans its author wrote and escapes the text around them', () => {
    const out = markdownFromText('rerun it with `policy run -- cargo publish` <b>now</b>');
    expect(out).toBe('rerun it with `policy run -- cargo publish` &lt;b&gt;now&lt;/b&gt;');
    expect(md.renderInline(out)).toBe('rerun it with <code>policy run -- cargo publish</code> &lt;b&gt;now&lt;/b&gt;');
  });

  it('finds code spans as CommonMark does: a run closes only at a run of the same length', () => {
    expect(md.renderInline(markdownFromText('a ``x`y`` b ` c'))).toBe('a <code>x`y</code> b ` c');
  });

  it.each(HOSTILE)('%s interpolated into a message makes no element but code', (value) => {
    const text = `tag ${value} is wrong: run \`git tag -d ${value}\` (or keep "${value}")`;
    const html = md.renderInline(markdownFromText(text));
    expect(elements(html, /^<\/?code>$/)).toEqual([]);
    // Every character of the value stays visible, backticks aside (they may close a span early).
    const visible = decode(html.replace(/<\/?code>/g, '')).replace(/`/g, '');
    expect(visible).toContain(value.replace(/`/g, ''));
  });
});

describe('in a GFM table', () => {
  it.each(HOSTILE)('%s stays in its own cell, with no element but code', (value) => {
    const row = [escapeText(value), markdownFromText(`run \`x ${value}\` ${value}`, { table: true }), 'last'];
    const html = md.render(`| a | b | c |\n| --- | --- | --- |\n| ${row.join(' | ')} |\n`);
    expect(elements(html, /^<\/?(table|thead|tbody|tr|th|td|code)>$/)).toEqual([]);
    const cells = [...html.matchAll(/<td>(.*?)<\/td>/gs)].map((m) => m[1]);
    expect(cells).toHaveLength(3);
    expect(decode(cells[0] ?? '')).toBe(value);
    expect(cells[2]).toBe('last');
  });

  it('writes a code span holding a pipe as escaped text, since the pipe would end the cell', () => {
    expect(codeSpan('a | b', { table: true })).toBe('a \\| b');
    expect(codeSpan('a \\| b', { table: true })).toBe('a \\\\\\| b');
    expect(codeSpan('a | b')).toBe('`a | b`');
  });
});
