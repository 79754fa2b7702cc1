import { describe, expect, it } from 'vitest';
import { BoundedOutput, RedactingLines } from '../../src/release/capture.js';
import { createRedactor } from '../../src/release/redact.js';

const MARKER = /\[\.\.\. (\d+) characters of output not kept \.\.\.\]\n/;

function bounded(text: string, head: number, tail: number): string {
  const out = new BoundedOutput(head, tail);
  out.append(text);
  return out.text();
}

/** How text() shows a kept head: on its own line(s) before the marker. */
function shown(head: string): string {
  return head.endsWith('\n') ? head : `${head}\n`;
}

/** The text before the marker (the head, with a line end added when it had none), the dropped count and the tail. */
function parts(text: string): { head: string; dropped: number; tail: string } | null {
  const match = MARKER.exec(text);
  if (match === null) return null;
  return {
    head: text.slice(0, match.index),
    dropped: Number(match[1]),
    tail: text.slice(match.index + match[0].length),
  };
}

/** Deterministic pseudo-random lines of varying lengths. */
function sampleOutput(lines: number): string {
  let seed = 7;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
  let out = '';
  for (let i = 0; i < lines; i++) out += `line ${i} ${'x'.repeat(next() % 40)}\n`;
  return out;
}

describe('BoundedOutput', () => {
  it('keeps an empty output empty', () => {
    expect(new BoundedOutput(10, 10).text()).toBe('');
    const out = new BoundedOutput(10, 10);
    out.append('');
    expect(out.text()).toBe('');
  });

  it('keeps small outputs whole', () => {
    expect(bounded('hello\n', 10, 10)).toBe('hello\n');
    expect(bounded('a\nb\nc', 10, 10)).toBe('a\nb\nc');
    const text = 'Uploading demo v0.2.0\nUploaded demo v0.2.0 to registry `crates-io`\n';
    expect(bounded(text, 64 * 1024, 192 * 1024)).toBe(text);
  });

  it('keeps an output of exactly head + tail limits whole', () => {
    const text = 'abcdefghi\n0123456789';
    expect(text.length).toBe(20);
    expect(bounded(text, 10, 10)).toBe(text);
  });

  it('keeps an output whose tail part is between one and two tail limits bounded in text()', () => {
    // 10 head characters, then 15 more: under 2 * tailLimit, so only text() trims.
    const text = 'HHHHHHHHH\n' + 'aaaaa\n' + 'bbbbbbbb\n';
    const out = parts(bounded(text, 10, 10));
    expect(out).toEqual({ head: 'HHHHHHHHH\n', dropped: 6, tail: 'bbbbbbbb\n' });
  });

  it('keeps head and tail of a big output with the exact number of characters dropped', () => {
    const text = 'HHHHHHHHH\n' + 'm'.repeat(50) + '\n' + 'tail1\n' + 'tail2\n';
    expect(bounded(text, 10, 10)).toBe('HHHHHHHHH\n[... 57 characters of output not kept ...]\ntail2\n');
  });

  it('cuts the tail at a line start', () => {
    const text = 'HHHHHHHHH\n' + 'm'.repeat(40) + '\nabcdef\nxyz\n';
    // The last 10 characters start inside `abcdef`; the tail begins at the next line.
    const out = parts(bounded(text, 10, 10));
    expect(out?.tail).toBe('xyz\n');
    expect(out?.dropped).toBe(text.length - 10 - 4);
  });

  it('keeps a tail that starts exactly at a line start whole', () => {
    // The last 10 characters are exactly one whole line: nothing of it needs to go.
    const text = 'HHHHHHHHH\n' + 'x'.repeat(15) + '\n' + 'abcdefghi\n';
    const out = parts(bounded(text, 10, 10));
    expect(out).toEqual({ head: 'HHHHHHHHH\n', dropped: 16, tail: 'abcdefghi\n' });
  });

  it('cuts a tail without any line start at exactly the tail limit', () => {
    const text = 'H'.repeat(10) + 'y'.repeat(100);
    const out = parts(bounded(text, 10, 10));
    expect(out).toEqual({ head: shown('H'.repeat(10)), dropped: 90, tail: 'y'.repeat(10) });
  });

  it('puts the marker on its own line when the head ends inside a line', () => {
    const text = 'H'.repeat(15) + '\n' + 'm'.repeat(40) + '\nlast\n';
    expect(bounded(text, 10, 10)).toBe(`${'H'.repeat(10)}\n[... ${text.length - 10 - 5} characters of output not kept ...]\nlast\n`);
  });

  it('keeps every character accounted for: head + dropped + tail is the whole output', () => {
    const text = sampleOutput(500);
    for (const [head, tail] of [[10, 10], [64, 200], [1000, 50], [1, 1]] as const) {
      const out = parts(bounded(text, head, tail));
      expect(out).not.toBeNull();
      expect(out!.head).toBe(shown(text.slice(0, head)));
      expect(head + out!.dropped + out!.tail.length).toBe(text.length);
      expect(text.endsWith(out!.tail)).toBe(true);
      expect(out!.tail.length).toBeLessThanOrEqual(tail);
      // The tail begins at a line start.
      expect(text[text.length - out!.tail.length - 1]).toBe('\n');
    }
  });

  it('bounds big outputs with the default limits (64 KiB head, 192 KiB tail)', () => {
    const line = 'z'.repeat(99) + '\n';
    const text = line.repeat(3000); // 300,000 characters
    const out = parts(bounded(text, undefined as unknown as number, undefined as unknown as number));
    expect(out).not.toBeNull();
    expect(out!.head).toBe(shown(text.slice(0, 64 * 1024)));
    expect(out!.tail.length).toBeLessThanOrEqual(192 * 1024);
    expect(out!.tail.length).toBeGreaterThan(192 * 1024 - 100);
    expect(64 * 1024 + out!.dropped + out!.tail.length).toBe(text.length);
    const plain = new BoundedOutput();
    plain.append(text);
    expect(plain.text()).toBe(bounded(text, 64 * 1024, 192 * 1024));
  });

  it('behaves for many small appends like for one big append', () => {
    const text = sampleOutput(400) + 'no newline at the end';
    for (const [head, tail] of [[10, 10], [100, 37], [3000, 400]] as const) {
      const whole = bounded(text, head, tail);
      for (const size of [1, 2, 7, 64, 333]) {
        const out = new BoundedOutput(head, tail);
        for (let i = 0; i < text.length; i += size) out.append(text.slice(i, i + size));
        expect(out.text(), `head ${head} tail ${tail} chunks of ${size}`).toBe(whole);
      }
    }
  });

  it('gives the same text when text() is called between appends', () => {
    const text = sampleOutput(300);
    const whole = bounded(text, 50, 120);
    const out = new BoundedOutput(50, 120);
    for (let i = 0; i < text.length; i += 97) {
      out.append(text.slice(i, i + 97));
      out.text();
    }
    expect(out.text()).toBe(whole);
    expect(out.text()).toBe(whole); // idempotent
  });
});

describe('RedactingLines', () => {
  const SECRET = 'cio_0123456789abcdef';
  const redactor = createRedactor(['cargo', 'publish'], { CARGO_REGISTRY_TOKEN: SECRET });

  it('redacts and passes whole lines at once', () => {
    const lines = new RedactingLines(redactor);
    expect(lines.push(`token is ${SECRET}\nnext\n`)).toBe('token is ***\nnext\n');
    expect(lines.hasPending).toBe(false);
    expect(lines.flush()).toBe('');
    expect(lines.end()).toBe('');
  });

  it('redacts a secret split across two chunks', () => {
    const lines = new RedactingLines(redactor);
    const out = [lines.push(`error: bad token ${SECRET.slice(0, 8)}`), lines.push(`${SECRET.slice(8)} rejected\n`)];
    expect(out).toEqual(['', 'error: bad token *** rejected\n']);
    expect(out.join('')).not.toContain(SECRET.slice(0, 8));
  });

  it('redacts a secret split across many chunks, one character at a time, flushing after each', () => {
    const lines = new RedactingLines(redactor);
    const text = `a ${SECRET} b\nc ${SECRET}`;
    let shown = '';
    for (const ch of text) shown += lines.push(ch) + lines.flush();
    shown += lines.end();
    expect(shown).toBe('a *** b\nc ***');
  });

  it('passes a `\\r` progress line at once', () => {
    const lines = new RedactingLines(redactor);
    expect(lines.push('Uploading 10%\r')).toBe('Uploading 10%\r');
    expect(lines.hasPending).toBe(false);
    expect(lines.push('Uploading 50%\rUploading 90%\r')).toBe('Uploading 50%\rUploading 90%\r');
    expect(lines.push('\n')).toBe('\n');
  });

  it('passes everything up to the last line end and holds the rest', () => {
    const lines = new RedactingLines(redactor);
    expect(lines.push('one\ntwo\rthree')).toBe('one\ntwo\r');
    expect(lines.hasPending).toBe(true);
    expect(lines.push(' more\n')).toBe('three more\n');
    expect(lines.hasPending).toBe(false);
  });

  it('shows a prompt on flush, and redacts the value typed after it with the prompt as context', () => {
    const lines = new RedactingLines(redactor);
    expect(lines.push('Password: ')).toBe('');
    expect(lines.flush()).toBe('Password: ');
    expect(lines.hasPending).toBe(false);
    expect(lines.push('hunter2-not-known')).toBe('');
    // The trailing word may still grow into a secret: a flush does not show it.
    expect(lines.flush()).toBe('');
    expect(lines.hasPending).toBe(true);
    expect(lines.push(' ok\n')).toBe('***\n');
    expect(lines.hasPending).toBe(false);
  });

  it('never shows a prefix of a token that a flush splits: prefixed tokens, keys, headers, quoted values', () => {
    const cases: [string, string][] = [
      ['Token: gho_', '0123456789abcdefABCDEF\n'],
      ['  "token": "a1b2c3', ' d4e5f6",\n'],
      ['x token: plain', 'value\n'],
      ['curl -H "Authorization: Bearer eyJhbGciOi', 'JIUzI1NiJ9.e30" https://host\n'],
      ['npm_0123456789', 'abcdefghijklmnopqrstuvwxyz\n'],
      ['pw is ' + SECRET.slice(0, 6), SECRET.slice(6) + '\n'],
    ];
    for (const [first, second] of cases) {
      const lines = new RedactingLines(redactor);
      const shown = lines.push(first) + lines.flush() + lines.push(second) + lines.end();
      const whole = first + second;
      expect(shown, whole).toBe(redactor.text(whole));
      expect(shown, whole).toContain('***');
    }
  });

  it('holds back the start of a known secret that contains a space', () => {
    const spaced = createRedactor([], { DB_PASSWORD: 'correct horse battery' });
    const lines = new RedactingLines(spaced);
    lines.push('the password is correct horse ');
    expect(lines.flush()).toBe('the password is ');
    expect(lines.push('battery staple\n')).toBe('*** staple\n');
  });

  it('bounds what it holds: a line without an end is shown in parts, all but the trailing word', () => {
    const lines = new RedactingLines(redactor);
    const long = `${'word '.repeat(5000)}tail`;
    const shown = lines.push(long);
    expect(shown.length).toBeGreaterThan(16 * 1024);
    expect(shown.endsWith('tail')).toBe(false);
    expect(shown + lines.end()).toBe(long);
  });

  it.each([['Continue? [y/N]'], ['Overwrite (yes/no)?'], ['Password:'], ['login>']])('shows a prompt that ends without a space on flush: %s', (prompt) => {
    const lines = new RedactingLines(redactor);
    expect(lines.push(prompt)).toBe('');
    expect(lines.flush()).toBe(prompt);
  });

  it.each([['see https://user:'], ['auth gho_abcdef:'], ['mail bob@host:']])('holds back a trailing word that may go on into a secret, even ending like a prompt: %s', (text) => {
    const lines = new RedactingLines(redactor);
    lines.push(text);
    expect(lines.flush()).toBe(text.slice(0, text.lastIndexOf(' ') + 1));
    expect(lines.hasPending).toBe(true);
  });

  it('continues after a flush with a fresh line', () => {
    const lines = new RedactingLines(redactor);
    lines.push('prompt> ');
    expect(lines.flush()).toBe('prompt> ');
    expect(lines.push('answer\n')).toBe('answer\n');
  });

  it('shows nothing and holds nothing for empty chunks', () => {
    const lines = new RedactingLines(redactor);
    expect(lines.push('')).toBe('');
    expect(lines.hasPending).toBe(false);
    expect(lines.end()).toBe('');
  });
});
