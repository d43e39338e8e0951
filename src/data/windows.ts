import { createReadStream, existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { InputError } from '../util/errors.js';
import type { TextTokenizer } from './tokenizer.js';

/** Fixed, non-overlapping token windows: ids [count, seqLen] row-major. A trailing partial window is dropped. */
export interface TokenWindows {
  readonly count: number;
  readonly seqLen: number;
  readonly ids: Int32Array;
}

export interface WindowBudget {
  readonly seqLen: number;
  /** At most floor(maxTokens / seqLen) windows are cut. */
  readonly maxTokens: number;
}

function windowLimit({ seqLen, maxTokens }: WindowBudget): number {
  if (!Number.isInteger(seqLen) || seqLen < 1)
    throw new InputError(`seq_len: expected a positive integer, got ${seqLen}`);
  if (!(maxTokens >= seqLen))
    throw new InputError(`tokens: budget ${maxTokens} is smaller than one window of ${seqLen}`);
  return Math.floor(maxTokens / seqLen);
}

/**
 * Cuts an in-memory id stream into windows (the window budget's rules without a file): for tests.
 * @internal
 */
export function textWindows(input: WindowBudget & { readonly ids: ArrayLike<number> }): TokenWindows {
  const count = Math.min(windowLimit(input), Math.floor(input.ids.length / input.seqLen));
  const ids = Int32Array.from({ length: count * input.seqLen }, (_, i) => input.ids[i] as number);
  return { count, seqLen: input.seqLen, ids };
}

export interface FileWindowsInput extends WindowBudget {
  readonly file: string;
  readonly tokenizer: TextTokenizer;
  /** Bytes read per chunk; memory stays O(chunkBytes + seqLen) whatever the file size. */
  readonly chunkBytes?: number;
}

const DEFAULT_CHUNK_BYTES = 1 << 20;

/**
 * Streams windows [seqLen] from a large text file. Text is tokenized chunk by chunk, each chunk ending at a newline,
 * so ids match whole-file encoding for tokenizers whose pre-tokenizer splits at line ends (byte-level BPE, KJV).
 * A line longer than 4 chunks is tokenized in pieces rather than held whole. Production reads text through text
 * sources (app/shared/text-source.ts → streamTextWindows); tests and benchmarks read fixture files with this.
 * @internal
 */
export async function* streamWindows(input: FileWindowsInput): AsyncGenerator<Int32Array> {
  if (!existsSync(input.file)) throw new InputError(`${input.file}: text file not found`);
  yield* windowsOfChunks(
    input,
    fileChunks(input.file, input.chunkBytes ?? DEFAULT_CHUNK_BYTES),
    input.chunkBytes,
  );
}

export interface TextWindowsInput extends WindowBudget {
  /** Text in pieces (a file's chunks, a dataset column's rows): only their concatenation matters. */
  readonly chunks: AsyncIterable<string>;
  readonly tokenizer: TextTokenizer;
}

/** streamWindows over any text stream (calibration/eval text from a dataset). */
export function streamTextWindows(input: TextWindowsInput): AsyncGenerator<Int32Array> {
  return windowsOfChunks(input, input.chunks);
}

/** A UTF-8 file as text chunks of `chunkBytes` bytes (a character split across chunks is carried over). */
export async function* fileChunks(file: string, chunkBytes = DEFAULT_CHUNK_BYTES): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of createReadStream(file, { highWaterMark: chunkBytes })) {
    yield decoder.write(chunk as Buffer);
  }
  yield decoder.end();
}

async function* windowsOfChunks(
  input: WindowBudget & { readonly tokenizer: TextTokenizer },
  chunks: AsyncIterable<string>,
  chunkBytes = DEFAULT_CHUNK_BYTES,
): AsyncGenerator<Int32Array> {
  const { tokenizer, seqLen } = input;
  const limit = windowLimit(input);
  let pending = '';
  let carry: number[] = [];
  let emitted = 0;
  const drain = function* (text: string): Generator<Int32Array> {
    carry = carry.concat(tokenizer.encode(text));
    let start = 0;
    for (; carry.length - start >= seqLen && emitted < limit; start += seqLen, emitted++) {
      yield Int32Array.from(carry.slice(start, start + seqLen));
    }
    carry = carry.slice(start);
  };
  for await (const chunk of chunks) {
    pending += chunk;
    const cut = pending.length > 4 * chunkBytes ? pending.length - 1 : pending.lastIndexOf('\n');
    if (cut >= 0) {
      yield* drain(pending.slice(0, cut + 1));
      pending = pending.slice(cut + 1);
    }
    if (emitted >= limit) return;
  }
  yield* drain(pending);
}

/** Collects streamed windows of `seqLen` tokens into one buffer (bounded by the stream's token budget). */
export async function collectWindows(
  stream: AsyncIterable<Int32Array>,
  seqLen: number,
): Promise<TokenWindows> {
  const windows: Int32Array[] = [];
  for await (const w of stream) windows.push(w);
  const ids = new Int32Array(windows.length * seqLen);
  windows.forEach((w, i) => ids.set(w, i * seqLen));
  return { count: windows.length, seqLen, ids };
}
