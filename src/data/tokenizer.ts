import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { CheckpointFormatError, InputError } from '../util/errors.js';
import { printable } from '../util/untrusted-text.js';

/** The largest released tokenizer.json files are tens of MB; far past that a file is corrupt or hostile. */
export const MAX_TOKENIZER_BYTES = 200_000_000;

/** Text ↔ token ids for calibration and evaluation text, loaded offline from a checkpoint's tokenizer.json. */
export interface TextTokenizer {
  /** Raw ids without BOS/EOS: windows are cut from one continuous stream, so specials would land mid-window. */
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  readonly file: string;
}

/**
 * Loads `tokenizer.json` (a path to the file or its directory) and, when present beside it,
 * `tokenizer_config.json` (special-token metadata the library reads).
 */
export function loadTokenizer(path: string): TextTokenizer {
  const file = path.endsWith('.json') ? path : join(path, 'tokenizer.json');
  if (!existsSync(file)) {
    throw new InputError(
      `${file}: tokenizer.json not found; the checkpoint must ship a Hugging Face fast tokenizer`,
    );
  }
  const json = readJson(file);
  if (typeof json.model !== 'object' || json.model === null) {
    throw new CheckpointFormatError(file, 'not a Hugging Face tokenizer.json (no "model" object)');
  }
  const configFile = join(dirname(file), 'tokenizer_config.json');
  const config = existsSync(configFile) ? readJson(configFile) : {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (err) {
    throw new CheckpointFormatError(file, `cannot build the tokenizer: ${printable((err as Error).message)}`);
  }
  // The library validates lazily: a tokenizer.json that builds can still fail on first use, and it refuses to
  // decode an empty list. Its errors there are the file's fault, so they name the file like the others.
  const use = <T>(what: string, body: () => T): T => {
    try {
      return body();
    } catch (err) {
      throw new CheckpointFormatError(file, `cannot ${what}: ${printable((err as Error).message)}`);
    }
  };
  return {
    file,
    encode: (text) => use('encode text', () => tokenizer.encode(text, { add_special_tokens: false }).ids),
    decode: (ids) =>
      ids.length === 0
        ? ''
        : use('decode ids', () => tokenizer.decode([...ids], { skip_special_tokens: false })),
  };
}

function readJson(file: string): Record<string, unknown> {
  if (statSync(file).size > MAX_TOKENIZER_BYTES) {
    throw new CheckpointFormatError(file, `size: exceeds the limit of ${MAX_TOKENIZER_BYTES} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CheckpointFormatError(file, `not valid JSON (${printable((err as Error).message)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CheckpointFormatError(file, 'expected a JSON object');
  }
  return parsed as Record<string, unknown>;
}
