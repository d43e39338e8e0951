/**
 * Fault tests' harness: a small kjv-llama recipe (a whole convert in ~10 s), `moefy convert` as a real child
 * process that can be signalled when a progress line appears, and digests of output trees and stage caches.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fixtureDir } from '../support/golden.js';
import { FP32_ONLY } from '../support/kjv-convert.js';

const bin = new URL('../../src/bin.ts', import.meta.url).pathname;
// Expert adaptation has no entry of its own: it is fitted in the calibration pass, inside calibrate's entry.
export const CACHED_STAGES = ['calibrate', 'targets', 'router'] as const;

/** Writes a recipe small enough for many runs per test file; `router` picks ridge (instant) or a short MLP. */
export function smallRecipe(root: string, router: 'ridge' | 'mlp' = 'ridge'): string {
  const kjv = fixtureDir('kjv-llama');
  const path = join(root, `small-${router}.yaml`);
  const routerYaml =
    router === 'ridge' ? '{ kind: ridge }' : '{ kind: mlp, hidden: 16, train: { steps: 250, batch: 256 } }';
  writeFileSync(
    path,
    `model: ${kjv}
calibration: { text: ${kjv}/calibration.txt, tokens: 4096, seq_len: 128, rows_per_layer: 1024 }
eval: { text: ${kjv}/eval.txt, tokens: 512, seq_len: 64, batch: 8, thresholds: [0, 0.1], latency: { seq: 16, repeats: 1, decode_tokens: 2 } }
router: ${routerYaml}
${FP32_ONLY}
`,
  );
  return path;
}

export interface ConvertRun {
  readonly child: ChildProcess;
  /** Resolves with the exit code and stderr once the process ends. */
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Sends `signal` as soon as a stderr line matches `line` (line-oriented progress: CI=true). */
  signalAt(line: RegExp, signal: NodeJS.Signals): void;
  /** Sends `signal` after `ms` unless the process has ended. */
  signalAfter(ms: number, signal: NodeJS.Signals): void;
}

export function startConvert(o: { recipe: string; out: string; cache: string; force?: boolean }): ConvertRun {
  const args = ['--import', 'tsx', bin, 'convert', '--recipe', o.recipe, '--out', o.out];
  const child = spawn(process.execPath, o.force ? [...args, '--force'] : args, {
    env: { ...process.env, MOEFY_CACHE_DIR: o.cache, HF_HUB_OFFLINE: '1', CI: 'true' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const watchers: { line: RegExp; signal: NodeJS.Signals }[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    const hit = watchers.findIndex((w) => stderr.split('\n').some((l) => w.line.test(l)));
    if (hit >= 0) child.kill(watchers.splice(hit, 1)[0]!.signal);
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    child,
    done,
    signalAt: (line, signal) => watchers.push({ line, signal }),
    signalAfter: (ms, signal) => {
      const timer = setTimeout(() => child.exitCode === null && child.kill(signal), ms);
      void done.then(() => clearTimeout(timer));
    },
  };
}

/** Paths under `dir` (relative) that are temp dirs, lock files or half-written files of ours. */
export function strays(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return walk(dir)
    .map((p) => relative(dir, p))
    .filter((p) => /(^|\/)\.[^/]*tmp-|\.tmp-|\.lock$|(^|\/)\.train-/.test(p));
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? [p, ...walk(p)] : [p];
  });
}

/** `stage/key` of every complete stage-cache entry. */
export function completeEntries(cache: string): string[] {
  return CACHED_STAGES.flatMap((stage) => {
    const dir = join(cache, stage);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((key) => existsSync(join(dir, key, '.complete')))
      .map((key) => `${stage}/${key}`);
  });
}

/** Stages whose "[stage] done" line was printed. */
export function doneStages(stderr: string): string[] {
  return CACHED_STAGES.filter((s) => new RegExp(`^\\[${s}\\] done`, 'm').test(stderr));
}

/** sha256 per file; the measured parts of the report (latency, and the Markdown and curves that show it) are left out. */
export function treeDigest(dir: string): Record<string, string> {
  const digest: Record<string, string> = {};
  for (const path of walk(dir).filter((p) => statSync(p).isFile())) {
    const name = relative(dir, path);
    if (/^curve\.|^report\.md$/.test(name)) continue;
    const bytes = name === 'report.json' ? unmeasured(readFileSync(path, 'utf8')) : readFileSync(path);
    digest[name] = createHash('sha256').update(bytes).digest('hex');
  }
  return digest;
}

const MEASURED_KEY = /latency|_ms$|per_s$|speedup|seconds/;

function unmeasured(reportJson: string): string {
  return JSON.stringify(JSON.parse(reportJson), (key, value: unknown) =>
    MEASURED_KEY.test(key) ? undefined : value,
  );
}
