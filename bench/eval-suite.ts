/**
 * Suite `eval`: the evaluation's quality pass (src/eval/quality.ts: batched windows, logits read back, perplexity
 * and accuracy accumulated) against the dense graph's bare forward on the same batches, in tokens/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer } from '../src/data/tokenizer.js';
import { collectWindows, streamWindows, type TokenWindows } from '../src/data/windows.js';
import { cacheShape } from '../src/eval/eval-model.js';
import { measureQuality } from '../src/eval/quality.js';
import { loadModelIR } from '../src/families/load.js';
import type { ModelConfig } from '../src/ir/model.js';
import { emptyPast, tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, releaseSession, run, type Session } from '../src/runtime/session.js';
import { REPO_ROOT } from './cli-path.js';
import type { SuiteResult } from './figures.js';
import { writeDense } from './latency-graphs.js';
import { medianMs, round } from './timing.js';

const KJV = join(REPO_ROOT, 'fixtures/kjv-llama');
const THREADS = 2;
const SEQ = 128;
const BATCH = 16;

export async function evalSuite(opts: { quick: boolean }): Promise<SuiteResult> {
  const dir = mkdtempSync(join(tmpdir(), 'moefy-bench-eval-'));
  const tokens = opts.quick ? 8192 : 65536;
  try {
    const ir = await loadModelIR(KJV);
    const path = await writeDense(ir, dir, 'dense.onnx');
    const windows = await collectWindows(
      streamWindows({
        file: join(KJV, 'eval.txt'),
        tokenizer: loadTokenizer(KJV),
        seqLen: SEQ,
        maxTokens: tokens,
      }),
      SEQ,
    );
    const session = await createSession(path, { threads: THREADS });
    try {
      const timing = { warmup: 1, repeats: 3 };
      const quality = await medianMs(
        () => measureQuality({ session, model: { config: ir.config }, windows, batch: BATCH }),
        timing,
      );
      const bare = await medianMs(() => bareForward(session, ir.config, windows), timing);
      const n = windows.count * SEQ;
      return {
        suite: 'eval',
        settings: {
          model: 'kjv-llama dense',
          'intra-op threads': THREADS,
          windows: `${windows.count} × ${SEQ} tokens`,
          batch: BATCH,
        },
        figures: [
          { name: 'evaluation (quality pass)', value: Math.round((n * 1000) / quality), unit: 'tokens/s' },
          { name: 'dense forward alone', value: Math.round((n * 1000) / bare), unit: 'tokens/s' },
          {
            name: 'evaluation throughput / forward throughput',
            value: round(bare / quality, 3),
            unit: '×',
            note: 'bare forward time ÷ evaluation time on the same batches (1 = no evaluation overhead)',
          },
        ],
      };
    } finally {
      await releaseSession(session);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same batches, logits fetched, nothing accumulated. */
async function bareForward(session: Session, config: ModelConfig, w: TokenWindows): Promise<void> {
  for (let first = 0; first < w.count; first += BATCH) {
    const n = Math.min(BATCH, w.count - first);
    const ids = Array.from({ length: n }, (_, i) =>
      Array.from(w.ids.subarray((first + i) * SEQ, (first + i + 1) * SEQ)),
    );
    await run(session, { ...tokenFeeds({ ids }), ...emptyPast(cacheShape(config), n) }, ['logits']);
  }
}
