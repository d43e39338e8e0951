/**
 * Child process of the precision suite: opens one ORT session on a graph (2 intra-op threads, all optimizations,
 * as the timings), runs a short prefill and one decode step, and prints {"before": bytes, "peak": bytes}: the
 * process's resident set before the session was created and its high-water mark after the run. Their difference
 * is what the session costs in RAM (weights as ORT holds them, prepacked, plus the run's buffers).
 * Usage: session-rss.ts <model.onnx> <layers> <kvHeads> <headDim>
 */
import { readFileSync } from 'node:fs';
import { emptyPast, pastFromPresent, tokenFeeds } from '../src/runtime/decoder-feeds.js';
import { createSession, type Feeds, releaseSession, run } from '../src/runtime/session.js';
import { float32Tensor } from '../src/runtime/tensors.js';

const PROMPT = 16;

function status(field: 'VmRSS' | 'VmHWM'): number {
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return Number(kb ?? 0) * 1024;
}

const [path, layers, kvHeads, headDim] = process.argv.slice(2);
const cache = { layers: Number(layers), kvHeads: Number(kvHeads), headDim: Number(headDim) };
const before = status('VmRSS');
const session = await createSession(path!, { threads: 2 });
const extra: Feeds = session.inputNames.includes('router_threshold')
  ? { router_threshold: float32Tensor([0], []) }
  : {};
const ids = Array.from({ length: PROMPT }, (_, i) => (i * 7) % 200);
const out = await run(session, { ...tokenFeeds({ ids: [ids] }), ...emptyPast(cache, 1), ...extra });
await run(session, {
  ...tokenFeeds({ ids: [[1]], past: PROMPT }),
  ...pastFromPresent(out, cache.layers),
  ...extra,
});
const peak = status('VmHWM');
await releaseSession(session);
process.stdout.write(`${JSON.stringify({ before, peak })}\n`);
