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

/**
 * Redacts a stream of text on its way to the terminal. Whole lines (ended by `\n` or a
 * progress line's `\r`) are redacted and passed on at once; a partial line waits for its end
 * or for `flush()` (the caller flushes after a short pause, so prompts and progress still
 * show), so a secret split across two chunks is still seen whole.
 */
export class RedactingLines {
  private pending = '';

  constructor(private readonly redact: (text: string) => string) {}

  /** The redacted text that can be shown now. */
  push(chunk: string): string {
    this.pending += chunk;
    const end = Math.max(this.pending.lastIndexOf('\n'), this.pending.lastIndexOf('\r'));
    if (end === -1) return '';
    const ready = this.pending.slice(0, end + 1);
    this.pending = this.pending.slice(end + 1);
    return this.redact(ready);
  }

  /** Everything still pending, redacted. */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest === '' ? '' : this.redact(rest);
  }

  get hasPending(): boolean {
    return this.pending !== '';
  }
}
