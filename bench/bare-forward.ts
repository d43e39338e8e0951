/**
 * The throughput reference of the scale suite: a bare dense forward of the whole model (one float32 graph, no debug
 * outputs, no KV cache) over the calibration windows in the batches calibration runs. `openBareForward` builds and
 * opens the graph once (its load time is reported apart) and `pass()` times one forward over every window, so a
 * caller can interleave passes with the layer-sequential calibration in one process (scale-throughput.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenWindows } from '../src/data/windows.js';
import type { ModelIR } from '../src/ir/model.js';
import { LOGITS } from '../src/graph/names.js';
import { writeDecoder } from '../src/graph/write-decoder.js';
import { batchWindows } from '../src/pipeline/layer-runner.js';
import { windowsPerRun } from '../src/pipeline/run-size.js';
import { tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, releaseSession, run } from '../src/runtime/session.js';

/** Calibration's tokens per run (app/convert/calibrate.ts TOKENS_PER_RUN), capped as calibration caps it. */
const TOKENS_PER_RUN = 4096;

export interface BareForward {
  /** Seconds to write the whole float32 graph and open its session. */
  readonly loadSeconds: number;
  /** One forward over every window; its seconds. */
  pass(): Promise<number>;
  close(): Promise<void>;
}

export async function openBareForward(ir: ModelIR, windows: TokenWindows): Promise<BareForward> {
  const dir = mkdtempSync(join(tmpdir(), 'moefy-bare-'));
  const started = performance.now();
  const graph = await writeDecoder(ir, { dir });
  const session = await createSession(graph.modelPath);
  const loadSeconds = (performance.now() - started) / 1000;
  rmSync(dir, { recursive: true, force: true });
  const { seqLen } = windows;
  const perRun = windowsPerRun(ir, { seqLen, upTo: Math.max(1, Math.floor(TOKENS_PER_RUN / seqLen)) });
  const batches = batchWindows(windows, perRun);
  await run(session, tokenFeeds({ ids: batches[0]!.slice(0, 1) }), [LOGITS]); // warm-up
  return {
    loadSeconds,
    async pass() {
      const t = performance.now();
      for (const b of batches) await run(session, tokenFeeds({ ids: b }), [LOGITS]);
      return (performance.now() - t) / 1000;
    },
    close: () => releaseSession(session),
  };
}
