/**
 * What `policy run` keeps of a command's output, and how it redacts output on its way to
 * the terminal. Pure: no IO, no timers (the caller decides when to flush).
 */

/**
 * A bounded record of an output: the first `headLimit` characters (where the first errors,
 * the cause, usually are) and the last `tailLimit` (where cargo prints `Uploading` and
 * `Uploaded`), with a marker line for what was dropped between them.
 */
export class BoundedOutput {
  private head = '';
  private tail = '';
  private dropped = 0;

  constructor(
    private readonly headLimit = 64 * 1024,
    private readonly tailLimit = 192 * 1024,
  ) {}

  append(text: string): void {
    if (this.head.length < this.headLimit) {
      const room = this.headLimit - this.head.length;
      this.head += text.slice(0, room);
      text = text.slice(room);
    }
    if (text === '') return;
    this.tail += text;
    if (this.tail.length > this.tailLimit * 2) this.trimTail();
  }

  private trimTail(): void {
    const cut = this.tail.length - this.tailLimit;
    if (cut <= 0) return;
    // Cut at a line start so no half line is classified.
    const newline = this.tail.indexOf('\n', cut - 1);
    const at = newline === -1 ? cut : newline + 1;
    this.dropped += at;
    this.tail = this.tail.slice(at);
  }

  text(): string {
    this.trimTail();
    if (this.dropped === 0) return this.head + this.tail;
    const gap = this.head.endsWith('\n') ? '' : '\n';
    return `${this.head}${gap}[... ${this.dropped} characters of output not kept ...]\n${this.tail}`;
  }
}

/** What {@link RedactingLines} needs of a redactor (src/release/redact.ts `createRedactor`). */
export interface StreamRedactor {
  text(text: string): string;
  /** How much of an unfinished line may be shown now (`partialEnd` of redact.ts). */
  partialEnd(text: string): number;
}

/** A line longer than this without a line end is shown in parts even without a pause. */
const MAX_PENDING = 16 * 1024;
/** How much of a line already shown is kept as context for redacting the rest of it. */
const LINE_CONTEXT = 4 * 1024;

/**
 * Redacts a stream of text on its way to the terminal, always on the joined stream, never
 * chunk by chunk: whole lines (ended by `\n` or a progress line's `\r`) are redacted and
 * passed on at once. A partial line waits for its end or for `flush()` (the caller flushes
 * after a short pause, so prompts and progress still show); `flush()` shows only the part
 * that cannot be the start of a secret (not the trailing word, not an unterminated quoted
 * value), and the line shown so far stays as context: after `token: ` was shown, the value
 * that follows is still redacted. `end()` shows everything at the stream's end.
 */
export class RedactingLines {
  /** The current line, raw, from its start (or the last LINE_CONTEXT characters shown of it). */
  private line = '';
  /** How many characters of `line` were shown, and what was shown for them (redacted). */
  private shownRaw = 0;
  private shown = '';

  constructor(private readonly redactor: StreamRedactor) {}

  /** The redacted text that can be shown now. */
  push(chunk: string): string {
    this.line += chunk;
    const end = Math.max(this.line.lastIndexOf('\n'), this.line.lastIndexOf('\r'));
    if (end === -1) return this.line.length - this.shownRaw > MAX_PENDING ? this.flush() : '';
    const ready = this.continueTo(end + 1);
    this.line = this.line.slice(end + 1);
    this.shownRaw = 0;
    this.shown = '';
    return ready;
  }

  /** What of the pending partial line can be shown without showing part of a secret. */
  flush(): string {
    const cut = this.redactor.partialEnd(this.line);
    if (cut <= this.shownRaw) return '';
    const out = this.continueTo(cut);
    this.keepContext();
    return out;
  }

  /** Everything still pending, redacted: the stream ended. */
  end(): string {
    const out = this.line.length > this.shownRaw ? this.continueTo(this.line.length) : '';
    this.line = '';
    this.shownRaw = 0;
    this.shown = '';
    return out;
  }

  get hasPending(): boolean {
    return this.line.length > this.shownRaw;
  }

  /**
   * The redacted text of `line` up to `cut`, less what was shown of it already. Redacting the
   * whole line gives the shown part again as its start (the shown part ended before any word
   * that could grow); if a pattern reached back into it anyway, the redacted text from where
   * the two differ is shown, so no secret ever shows, at worst a few characters twice.
   */
  private continueTo(cut: number): string {
    const redacted = this.redactor.text(this.line.slice(0, cut));
    let same = 0;
    if (redacted.startsWith(this.shown)) same = this.shown.length;
    else while (same < this.shown.length && redacted[same] === this.shown[same]) same++;
    this.shownRaw = cut;
    this.shown = redacted;
    return redacted.slice(same);
  }

  /** Bounds a long line: only the last LINE_CONTEXT characters shown stay as context. */
  private keepContext(): void {
    const drop = this.shownRaw - LINE_CONTEXT;
    if (drop <= 0) return;
    this.line = this.line.slice(drop);
    this.shownRaw -= drop;
    this.shown = this.redactor.text(this.line.slice(0, this.shownRaw));
  }
}
