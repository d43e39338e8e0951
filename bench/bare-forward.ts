/**
 * The throughput reference of the scale suite: a bare dense forward of the whole model (one float32 graph, no debug
 * outputs, no KV cache) over the calibration windows in the batches calibration runs, in tokens/s. Run as its own
 * process (`tsx bench/bare-forward.ts <checkpoint> <tokens> <seq_len>`) so its memory never adds to the convert's.
 * Prints one JSON line: { tokens, seconds, tokensPerSecond }.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelIR } from '../src/families/load.js';
import { LOGITS } from '../src/graph/names.js';
import { writeDecoder } from '../src/graph/write-decoder.js';
import { loadTokenizer } from '../src/data/tokenizer.js';
import { textWindows } from '../src/data/windows.js';
import { tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, releaseSession, run } from '../src/runtime/session.js';
import { REPO_ROOT } from './cli-path.js';

/** Calibration's batch (app/convert/calibrate.ts TOKENS_PER_RUN). */
const TOKENS_PER_RUN = 4096;

async function main(): Promise<void> {
  const [ckpt, tokensArg, seqArg] = process.argv.slice(2);
  const tokens = Number(tokensArg);
  const seqLen = Number(seqArg);
  const ir = await loadModelIR(ckpt!);
  const text = readFileSync(join(REPO_ROOT, 'fixtures/kjv-llama/calibration.txt'), 'utf8');
  const ids = loadTokenizer(ckpt!).encode(text.slice(0, tokens * 8));
  const windows = textWindows({ ids, seqLen, maxTokens: tokens });
  const dir = mkdtempSync(join(tmpdir(), 'moefy-bare-'));
  try {
    const graph = await writeDecoder(ir, { dir });
    const session = await createSession(graph.modelPath);
    const perRun = Math.max(1, Math.floor(TOKENS_PER_RUN / seqLen));
    const batches: number[][][] = [];
    for (let w = 0; w < windows.count; w += perRun) {
      const rows = Math.min(perRun, windows.count - w);
      batches.push(
        Array.from({ length: rows }, (_, i) =>
          Array.from(windows.ids.subarray((w + i) * seqLen, (w + i + 1) * seqLen)),
        ),
      );
    }
    await run(session, tokenFeeds({ ids: batches[0]!.slice(0, 1) }), [LOGITS]); // warm-up
    const start = performance.now();
    for (const b of batches) await run(session, tokenFeeds({ ids: b }), [LOGITS]);
    const seconds = (performance.now() - start) / 1000;
    await releaseSession(session);
    const n = windows.count * seqLen;
    process.stdout.write(`${JSON.stringify({ tokens: n, seconds, tokensPerSecond: n / seconds })}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
