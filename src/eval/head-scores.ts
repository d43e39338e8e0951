/**
 * The final norm + LM head over the last hidden states of a layer-sequential run, scored for quality (DESIGN.md
 * §3): the head is applied in chunks of vocabulary rows, one part per chunk (pipeline/vocab-rows.ts), and each
 * chunk's logits feed a running log-sum-exp (chunked-quality.ts), so neither the whole float32 head (2.1 GB at
 * Llama-3-8B's vocab 128256 × hidden 4096) nor a batch's logits over the whole vocabulary are ever held. Every
 * hidden-state set runs through a chunk before the next chunk is read, so the head is read once per call.
 */
import { isTiedHead } from '../graph/head.js';
import { buildHeadGraph } from '../graph/layer-graph.js';
import { LOGITS } from '../graph/names.js';
import type { ModelIR } from '../ir/model.js';
import type { HiddenStates } from '../pipeline/hidden-states.js';
import { dtypeOf, passBatches, type RunnerSetup } from '../pipeline/layer-runner.js';
import { openPart } from '../pipeline/part-session.js';
import { headRowsModel } from '../pipeline/vocab-rows.js';
import { readFloat32 } from '../runtime/tensors.js';
import { InternalError } from '../util/errors.js';
import { ChunkedQuality } from './chunked-quality.js';
import type { QualityTotals } from './perplexity.js';
import { nextTokens } from './quality.js';

/**
 * Float32 head weights per chunk. 256 MiB keeps a chunk (and its transposed copy while the part is built) well
 * under one decoder layer at every size where the head matters (a Llama-3-8B layer is 870 MB): 16384 rows at
 * hidden 4096, 8 chunks for vocab 128256; one chunk for vocabularies up to 32768 at hidden 2048, so small models
 * run as before. Each chunk is one part session, opened in milliseconds (weights as inputs on CPU).
 */
const HEAD_CHUNK_BYTES = 256 * 2 ** 20;

/**
 * Vocabulary rows per head chunk for `ir` in `precision`. A tied q8 head multiplies by the q8 embedding table,
 * quantized with ONE scale over the whole table (graph/precision/embedding.ts): a slice would get its own scale
 * and other values, so that head stays whole. Every other precision stores the head row by row (q4 blocks along
 * hidden, q8 linears a scale per output row, fp16 per value): a slice of rows has the whole head's values.
 */
export function headChunkRows(ir: ModelIR, precision: string | undefined): number {
  if (precision === 'q8' && isTiedHead(ir)) return ir.config.vocabSize;
  return vocabChunkRows(ir.config);
}

/** Rows per head chunk of a float32 head (`moefy plan` prices one chunk). */
export function vocabChunkRows(c: { readonly vocabSize: number; readonly hidden: number }): number {
  return Math.max(1, Math.min(c.vocabSize, Math.floor(HEAD_CHUNK_BYTES / (c.hidden * 4))));
}

/** The quality of each hidden-state set (the run's batches, advanced through every layer) under the head. */
export async function headQualities(
  setup: RunnerSetup,
  a: {
    readonly ir: ModelIR;
    readonly states: readonly HiddenStates[];
    /** Rows per chunk (default `headChunkRows`). */
    readonly chunkRows?: number;
  },
): Promise<QualityTotals[]> {
  const vocab = a.ir.config.vocabSize;
  const rows = a.chunkRows ?? headChunkRows(a.ir, setup.precision);
  if (!(Number.isInteger(rows) && rows >= 1)) {
    throw new InternalError(`head chunk rows: expected an integer ≥ 1, got ${rows}`);
  }
  const targets = setup.batches.map((windows) => nextTokens(windows));
  const scores = a.states.map(() => new ChunkedQuality(vocab, targets));
  for (let first = 0; first < vocab; first += rows) {
    const width = Math.min(rows, vocab - first);
    const part = await openPart(
      `head.${first}`,
      (data) => buildHeadGraph(headRowsModel(a.ir, first, width), { data, ...dtypeOf(setup) }),
      setup,
    );
    try {
      for (const [s, hidden] of a.states.entries()) {
        await passBatches(setup, part, hidden, {
          advance: false,
          outputs: [LOGITS],
          visit: (i, out) => scores[s]!.add(i, { logits: readFloat32(out[LOGITS]!), first, width }),
        });
      }
    } finally {
      await part.release();
    }
  }
  return scores.map((q) => q.totals());
}
