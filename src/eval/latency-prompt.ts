/**
 * The prefill timing's prompt length when the recipe leaves `eval.latency.seq` out: 256 tokens, shortened so the
 * prompt and the decoded tokens stay within the model's positions (kjv-llama has 256; a default that ran past them
 * made the built-in recipe warn about itself).
 */
const DEFAULT_PROMPT_TOKENS = 256;

export function latencyPromptTokens(
  latency: { readonly seq?: number | undefined; readonly decode_tokens: number },
  maxPositions: number,
): number {
  if (latency.seq !== undefined) return latency.seq;
  return Math.max(1, Math.min(DEFAULT_PROMPT_TOKENS, maxPositions - Math.max(1, latency.decode_tokens)));
}
