/**
 * Request strings → token ids, as lm-evaluation-harness's TemplateLM does it (lm_eval/api/model.py `_encode_pair`
 * and `loglikelihood`, used by lm_eval/models/huggingface.py):
 * - trailing whitespace of the context moves to the front of the continuation;
 * - context + continuation is encoded whole, the context alone, and the continuation's tokens are those of the whole
 *   string past the context's token count: so a token that straddles the boundary is scored as the model would
 *   see it in running text;
 * - an empty context becomes the model's prefix token (BOS, else EOS) and the continuation is encoded alone;
 * - no special tokens are added (HFLM's `add_special_tokens=False` for causal models), except a BOS in front of
 *   every encoding where HFLM sets `add_bos_token` (Gemma models, which it says underperform without it).
 */
import type { TextTokenizer } from '../../data/tokenizer.js';
import type { LlRequest } from './requests.js';
import { TaskRowError } from './types.js';

export interface EncodedRequest {
  readonly context: readonly number[];
  readonly continuation: readonly number[];
}

/** Python's str.isspace() characters, so `rstrip()` is matched exactly (JS `trimEnd` also takes U+FEFF and misses
 *  U+001C–U+001F and U+0085). */
const PYTHON_SPACE = new Set(
  [
    [0x09, 0x0d],
    [0x1c, 0x20],
    [0x85, 0x85],
    [0xa0, 0xa0],
    [0x1680, 0x1680],
    [0x2000, 0x200a],
    [0x2028, 0x2029],
    [0x202f, 0x202f],
    [0x205f, 0x205f],
    [0x3000, 0x3000],
  ].flatMap(([from, to]) => Array.from({ length: to! - from! + 1 }, (_, i) => from! + i)),
);

/** Length of the trailing whitespace run (all such characters are single UTF-16 units). */
function trailingSpaces(s: string): number {
  let n = 0;
  while (n < s.length && PYTHON_SPACE.has(s.charCodeAt(s.length - 1 - n))) n++;
  return n;
}

/** The model's special tokens as the harness uses them. */
export interface SpecialTokens {
  /** BOS, else EOS: stands in for an empty context (TemplateLM `prefix_token_id`); null when neither exists. */
  readonly prefix: number | null;
  /** Put before every encoding (HFLM `add_bos_token`); null = none. */
  readonly bos: number | null;
}

/** @internal Tests: a model without BOS or EOS (kjv-llama's tokenizer has no special tokens). */
export const NO_SPECIAL_TOKENS: SpecialTokens = { prefix: null, bos: null };

export function encodeRequest(
  tokenizer: Pick<TextTokenizer, 'encode'>,
  request: LlRequest,
  special: SpecialTokens,
): EncodedRequest {
  const encode = (s: string) =>
    special.bos === null ? tokenizer.encode(s) : [special.bos, ...tokenizer.encode(s)];
  let { context, continuation } = request;
  const prefixToken = special.prefix;
  if (context === '') {
    if (prefixToken === null) {
      throw new TaskRowError(
        'the context is empty and the model has no BOS or EOS token to stand in for it (config.json bos_token_id / eos_token_id)',
      );
    }
    return checked({ context: [prefixToken], continuation: encode(continuation) });
  }
  const spaces = trailingSpaces(context);
  if (spaces > 0) {
    continuation = context.slice(-spaces) + continuation;
    context = context.slice(0, -spaces);
  }
  const whole = encode(context + continuation);
  const contextIds = encode(context);
  return checked({ context: contextIds, continuation: whole.slice(contextIds.length) });
}

function checked(r: EncodedRequest): EncodedRequest {
  // A whitespace-only context leaves no token to predict the continuation's first token from.
  if (r.context.length === 0) throw new TaskRowError('the context encodes to no tokens');
  if (r.continuation.length === 0) throw new TaskRowError('the continuation encodes to no tokens');
  return r;
}
