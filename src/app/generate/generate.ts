/**
 * `moefy generate`: text from the router-driven MoE graph with its KV cache. The text streams to `write` as it is
 * decoded; the returned stats say how fast prefill and decode ran and how much of the FFN the routers used.
 */
import { loadTokenizer } from '../../data/tokenizer.js';
import { ROUTER_THRESHOLD } from '../../graph/names.js';
import type { Precision } from '../../ir/precision.js';
import { createSession, releaseSession } from '../../runtime/session.js';
import { float32Tensor } from '../../runtime/tensors.js';
import { InputError } from '../../util/errors.js';
import { Rng } from '../../util/random.js';
import { decode } from './decode-loop.js';
import { readGenerateTarget } from './out-dir.js';
import { tokenPicker } from './sampling.js';
import { TextStream } from './text-stream.js';

export interface GenerateOptions {
  readonly dir: string;
  readonly prompt: string;
  /** Router threshold; default: the recipe's `output.fixed_threshold` from moefy.json. */
  readonly threshold?: number;
  readonly maxNewTokens: number;
  /** 0 = greedy. */
  readonly temperature: number;
  readonly seed: number;
  /** Which precision's router graph runs (output.dtypes); default fp32. */
  readonly dtype?: Precision;
  readonly write: (text: string) => void;
}

export interface GenerateResult {
  /** Prompt + generated text, decoded as one sequence. */
  readonly text: string;
  readonly promptTokens: number;
  readonly newTokens: number[];
  readonly threshold: number;
  readonly prefillTokensPerS: number;
  /** Null when a single token was asked for (it comes from the prefill; no decode step ran). */
  readonly decodeTokensPerS: number | null;
  /** Mean over every (layer, token) of the chosen expert's width / the full FFN width. */
  readonly ffnFraction: number;
}

export async function generate(opts: GenerateOptions): Promise<GenerateResult> {
  const target = await readGenerateTarget(opts.dir, opts.dtype);
  const tokenizer = loadTokenizer(opts.dir);
  const prompt = tokenizer.encode(opts.prompt);
  if (prompt.length === 0) throw new InputError('--prompt: expected text that encodes to at least one token');
  if (prompt.length + opts.maxNewTokens > target.maxPositions) {
    throw new InputError(
      `--max-new-tokens: prompt (${prompt.length} tokens) + ${opts.maxNewTokens} exceeds the model's ` +
        `${target.maxPositions} positions`,
    );
  }
  const threshold = opts.threshold ?? target.fixedThreshold;
  const session = await createSession(target.graph);
  try {
    const stream = new TextStream(tokenizer, prompt, opts.write);
    const r = await decode({
      session,
      cache: target.cache,
      prompt,
      maxNewTokens: opts.maxNewTokens,
      pick: tokenPicker(opts.temperature, new Rng(opts.seed)),
      extraFeeds: { [ROUTER_THRESHOLD]: float32Tensor([threshold], []) },
      stopIds: target.eosIds,
      ...(target.recomputePast !== undefined && { recomputePast: target.recomputePast }),
      onToken: (id) => stream.push(id),
    });
    const used = r.expertCounts.reduce((s, n, k) => s + n * target.sizes[k]!, 0);
    const total = r.expertCounts.reduce((s, n) => s + n, 0);
    return {
      text: stream.end(),
      promptTokens: prompt.length,
      newTokens: r.tokens,
      threshold,
      prefillTokensPerS: prompt.length / (r.prefillMs / 1000),
      decodeTokensPerS: r.decodeSteps > 0 ? r.decodeSteps / (r.decodeMs / 1000) : null,
      ffnFraction: used / (total * target.ffnDim),
    };
  } finally {
    await releaseSession(session);
  }
}

/** The stderr summary: speed per phase and the realized compute. */
export function formatStats(r: GenerateResult): string {
  const decodeRate = r.decodeTokensPerS === null ? 'n/a' : `${r.decodeTokensPerS.toFixed(1)} tokens/s`;
  return [
    `prefill: ${r.promptTokens} tokens, ${r.prefillTokensPerS.toFixed(1)} tokens/s`,
    `decode: ${r.newTokens.length} new tokens, ${decodeRate}`,
    `FFN fraction: ${r.ffnFraction.toFixed(3)} at router threshold ${r.threshold}`,
  ].join('\n');
}
