/**
 * moefy as a package: `npm pack` of this checkout installs into a fresh project offline (from the npm cache,
 * which the checkout's own `npm ci` filled) without a single npm warning; the installed `npx moefy` plans the
 * embedded default, and the `run:` steps of docs/ci.md's workflow run as written: `npm ci`, convert a recipe, the
 * check against a baseline (written first with --update-baseline, as the doc's baseline section says). The recipe
 * uses small token counts (a few seconds of calibration and evaluation), not the built-in defaults.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUDA_INSTALL_COMMAND } from '../src/runtime/device.js';
import {
  packRepo,
  REPO,
  type Run,
  sh,
  userEnv,
  workflowRuns,
  writeConsumer,
} from './support/packed-install.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-package-'));
const project = join(root, 'project');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What a project that depends on moefy puts in its package.json (docs/guide.md, "Install"). */
const ALLOW_SCRIPTS = { 'onnxruntime-node': false, protobufjs: false };

const SMALL_RECIPE = `# yaml-language-server: $schema=../node_modules/moefy/schema/recipe.schema.json
calibration: { tokens: 4096, seq_len: 128, rows_per_layer: 1024 }
router: { kind: ridge }
eval: { tokens: 1024, seq_len: 64, thresholds: [0, 0.1, 0.3], latency: { seq: 32, repeats: 8, decode_tokens: 2, threads: 1 } }
`;

const env = userEnv({ MOEFY_CACHE_DIR: join(root, 'cache'), GITHUB_ACTIONS: '' });
const run = (command: string): Run => sh(command, project, env);
const npmWarnings = (r: Run) => `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /npm warn/i.test(l));

/** The workflow's `run:` lines, in order: `npm ci`, convert, check. */
const steps = workflowRuns(readFileSync(join(REPO, 'docs/ci.md'), 'utf8'));

describe('the packed package', () => {
  let packed: { file: string; files: string[] };
  let install: Run;
  beforeAll(() => {
    mkdirSync(project);
    packed = packRepo(root);
    writeConsumer({ dir: project, tarball: packed.file, allowScripts: ALLOW_SCRIPTS });
    install = run(steps[0]!); // the workflow's first step
  }, 900_000);

  it('holds the CLI, the schema, the recipes and the embedded model, and no tests or test fixtures', () => {
    const files = packed.files;
    for (const f of [
      'dist/bin.js',
      'schema/recipe.schema.json',
      'recipes/kjv-llama.yaml',
      'assets/fonts/DejaVuSans.ttf',
    ])
      expect(files).toContain(f);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'calibration.txt', 'eval.txt'])
      expect(files).toContain(`fixtures/kjv-llama/${f}`);
    expect(
      files.filter((f) => /(^|\/)(test|src|bench|golden)\/|\.test\.|\.map$|reference\.safetensors/.test(f)),
    ).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.bin).toEqual({ moefy: 'dist/bin.js' });
    expect(pkg.engines).toEqual({ node: '>=20' });
  });

  it('installs offline with `npm ci`, without npm warnings and without running onnxruntime-node’s CUDA download', () => {
    expect(install.code, install.stderr).toBe(0);
    expect(npmWarnings(install)).toEqual([]);
    const ortBin = join(project, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
    if (process.platform === 'linux' && process.arch === 'x64')
      expect(existsSync(join(ortBin, 'libonnxruntime_providers_cuda.so'))).toBe(false);
  });

  it('the README’s CUDA command gets as far as the download (through a refusing proxy: nothing is fetched)', () => {
    const refused = 'http://127.0.0.1:9';
    const r = sh(CUDA_INSTALL_COMMAND, project, {
      ...env,
      GLOBAL_AGENT_HTTP_PROXY: refused,
      GLOBAL_AGENT_HTTPS_PROXY: refused,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.stderr).not.toMatch(/Invalid (installation|value)/);
    expect(readFileSync(join(REPO, 'README.md'), 'utf8')).toContain(CUDA_INSTALL_COMMAND);
  });

  it('`npx moefy plan` plans the built-in default on the embedded model, quietly', () => {
    const r = run('npx moefy plan');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`local ${join(project, 'node_modules/moefy/fixtures/kjv-llama')}`);
    expect(r.stdout).toMatch(/^experts +k +neurons/m);
    expect(npmWarnings(r)).toEqual([]);
  }, 300_000);

  it('runs the `run:` steps of docs/ci.md’s workflow as written, baseline first', () => {
    expect(steps).toEqual([
      'npm ci',
      'npx moefy convert --recipe recipes/x.yaml --out out/',
      'npx moefy check out/ --baseline baselines/x.json',
    ]);
    mkdirSync(join(project, 'recipes'));
    writeFileSync(join(project, 'recipes/x.yaml'), SMALL_RECIPE);
    const [, convert, check] = steps; // `npm ci` ran before every test
    const converted = run(convert!);
    expect(converted.code, converted.stderr).toBe(0);
    expect(converted.stdout).toMatch(/^recommended: (threshold [\d.]+|the dense model)/m);
    expect(converted.stdout).toMatch(/^speed at threshold [\d.]+: |^recommended: the dense model/m);
    expect(existsSync(join(project, 'recipes/x.moefy.lock.json'))).toBe(true);
    const baseline = run(`${check} --update-baseline`);
    expect(baseline.code, baseline.stderr).toBe(0);
    const gate = run(check!);
    expect(gate.code, gate.stdout + gate.stderr).toBe(0);
    expect(gate.stdout).toMatch(/^PASS: /m);
    for (const r of [converted, baseline, gate]) expect(npmWarnings(r)).toEqual([]);
  }, 900_000);
});
