/**
 * Streams decoded text as tokens arrive. Byte-level tokenizers split multi-byte characters across tokens and
 * SentencePiece ones drop or add leading spaces per token, so single tokens are never decoded alone: the whole
 * sequence is decoded each time and only the new suffix is written, held back while it ends in a partial
 * character (U+FFFD).
 */
import type { TextTokenizer } from '../../data/tokenizer.js';

export class TextStream {
  private readonly ids: number[];
  private printed = '';

  constructor(
    private readonly tokenizer: TextTokenizer,
    prompt: readonly number[],
    private readonly write: (text: string) => void,
  ) {
    this.ids = [...prompt];
    this.flush(false);
  }

  push(id: number): void {
    this.ids.push(id);
    this.flush(false);
  }

  /** Writes whatever is left, partial characters included; returns the exact text of prompt + new tokens. */
  end(): string {
    this.flush(true);
    return this.tokenizer.decode(this.ids);
  }

  private flush(final: boolean): void {
    const text = this.tokenizer.decode(this.ids);
    if (!final && text.endsWith('\uFFFD')) return;
    // A decoder that rewrites earlier text (rare cleanup rules) leaves the stream as printed; end() is exact.
    if (!text.startsWith(this.printed)) return;
    if (text.length > this.printed.length) this.write(text.slice(this.printed.length));
    this.printed = text;
  }
}
