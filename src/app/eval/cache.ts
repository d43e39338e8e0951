/**
 * The evaluation's measurements in the stage cache (`<cache>/eval/<key>/measured.json`). The key is what the
 * figures depend on: the bytes of every graph the sweep runs and of their external data, the eval text's identity,
 * the eval settings with the swept thresholds and the resolved latency protocol, the measuring code (moefy's
 * version) and, for timings, the machine and runtime. Not in the key: the report settings, the fixed-threshold graph
 * and the files other tools read, so changing `output.fixed_threshold` or `report.*` re-emits in seconds.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { sha256File } from '../../checkpoint/resolve.js';
import type { LatencySettings } from '../../eval/eval-model.js';
import type { PointMeasurement } from '../../eval/pareto.js';
import type { Recipe } from '../../recipe/types.js';
import { runtimeVersion } from '../../runtime/version.js';
import { cachedStage } from '../shared/stage-cache.js';
import { VERSION } from '../shared/version.js';

const MEASURED_FILE = 'measured.json';

export interface EvalCacheKey {
  /** Every file the sweep's sessions read: graphs and their external data. */
  readonly files: readonly string[];
  /** The eval text's identity (content hash, or a dataset's pinned files): text-source.ts. */
  readonly text: unknown;
  /** The downstream tasks' data pins (Hub commit or file hash), null when the recipe scores none. */
  readonly tasks: unknown;
  readonly settings: Recipe['eval'];
  readonly thresholds: readonly number[];
  readonly latency: LatencySettings | null;
}

export interface CachedMeasurements {
  readonly points: PointMeasurement[];
  readonly cached: boolean;
}

/** The measurements for `key`: from the cache when `reuse` and present, else measured and stored (replacing). */
export async function cachedMeasurements(a: {
  root: string;
  key: EvalCacheKey;
  reuse: boolean;
  measure: () => Promise<PointMeasurement[]>;
}): Promise<CachedMeasurements> {
  const inputs = await keyInputs(a.key);
  let measured: PointMeasurement[] | undefined;
  const entry = await cachedStage({
    root: a.root,
    stage: 'eval',
    inputs,
    refresh: !a.reuse,
    produce: async (dir) => {
      measured = await a.measure();
      await writeFile(join(dir, MEASURED_FILE), `${JSON.stringify(measured)}\n`);
    },
  });
  if (measured) return { points: measured, cached: false };
  const text = await readFile(join(entry.dir, MEASURED_FILE), 'utf8');
  return { points: JSON.parse(text) as PointMeasurement[], cached: true };
}

async function keyInputs(key: EvalCacheKey): Promise<unknown> {
  const files: Record<string, string> = {};
  for (const f of [...new Set(key.files)].sort())
    files[f.slice(f.lastIndexOf('/') + 1)] = await sha256File(f);
  return {
    moefy: VERSION,
    ort: runtimeVersion(),
    files,
    text: key.text,
    tasks: key.tasks,
    // Paths are not the text's identity: `text` is; the dataset spec's fields are in `text` too.
    settings: { ...key.settings, text: undefined, dataset: undefined, thresholds: key.thresholds },
    latency: key.latency && {
      ...key.latency,
      machine: { cpu: cpus()[0]?.model, cores: availableParallelism() },
    },
  };
}
