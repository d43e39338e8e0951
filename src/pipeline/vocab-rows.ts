/**
 * The model as the embedding and head parts of a layer-sequential run see it, with only some vocabulary rows
 * (DESIGN.md §3): the head in chunks of rows [first, first + count) — its logits are those rows' — and the
 * embedding gathered to the ids the run's windows use. At 8B (vocab 128256, hidden 4096) the whole float32 table is
 * 2.1 GB, the largest single weight of the model; a chunk or the gathered rows of a byte tokenizer's ids cost a
 * fraction of it. Rows are read from the checkpoint by offset (ir/tensor-rows.ts); the graphs are built by the same
 * builders as the whole graph's, so the values they compute are the same.
 */
import { isTiedHead } from '../graph/head.js';
import { gatheredRows, tensorRows } from '../ir/tensor-rows.js';
import type { Linear, ModelIR } from '../ir/model.js';
import { InternalError } from '../util/errors.js';

/** `ir` whose head computes the logits of vocabulary rows [first, first + count) only. */
export function headRowsModel(ir: ModelIR, first: number, count: number): ModelIR {
  const { lmHead } = ir;
  // checkShapes wants embed [vocab, hidden]; a tied head IS the embedding (same name and file: isTiedHead).
  const embed = tensorRows(ir.embed, first, count);
  const tied = isTiedHead(ir);
  return {
    ...ir,
    config: { ...ir.config, vocabSize: count },
    embed,
    lmHead: tied ? { ...lmHead, weight: embed, outFeatures: count } : headRows(lmHead, first, count),
  };
}

function headRows(head: Linear, first: number, count: number): Linear {
  // Every family's head is [vocab, hidden] (families/load.ts lmHead): a chunk of the vocabulary is a run of rows.
  if (head.layout !== 'out_in') {
    throw new InternalError(`${head.weight.name}: an in_out LM head cannot be cut into vocabulary rows`);
  }
  return {
    ...head,
    weight: tensorRows(head.weight, first, count),
    ...(head.bias && { bias: tensorRows(head.bias, first, count) }),
    outFeatures: count,
  };
}

/** The embedding of the ids a run uses: `ids` (ascending, distinct) become rows 0..n-1 of the table. */
export interface GatheredEmbedding {
  /** `ir` whose embedding table holds the rows of `ids` only (the head is left as it is: the part has none). */
  readonly ir: ModelIR;
  /** A token id → its row in the gathered table. */
  readonly rowOf: ReadonlyMap<number, number>;
}

export function gatheredEmbedModel(ir: ModelIR, tokenIds: Iterable<number>): GatheredEmbedding {
  const ids = [...new Set(tokenIds)].sort((a, b) => a - b);
  return {
    ir: { ...ir, config: { ...ir.config, vocabSize: ids.length }, embed: gatheredRows(ir.embed, ids) },
    rowOf: new Map(ids.map((id, row) => [id, row])),
  };
}
