import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, RecipeError } from '../util/errors.js';
import { EMBEDDED, packageRoot } from './default.js';
import { loadRecipe, parseRecipeText } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-recipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'r.yaml');

/** The problems a recipe text is rejected with (one string per problem). */
function problemsOf(text: string): readonly string[] {
  try {
    parseRecipeText(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(RecipeError);
    expect((err as RecipeError).message.split('\n')[0]).toBe(`${file}: invalid recipe`);
    return (err as RecipeError).problems;
  }
  throw new Error('recipe was accepted');
}

describe('defaults', () => {
  it('an empty recipe is the built-in default: every field set, texts and model embedded', async () => {
    const recipe = parseRecipeText('', file);
    expect(recipe).toEqual(await loadRecipe(undefined));
    expect(recipe.model).toBe(EMBEDDED.model);
    expect(recipe.calibration.text).toBe(join(packageRoot, 'fixtures/kjv-llama/calibration.txt'));
    expect(recipe.eval.text).toBe(join(packageRoot, 'fixtures/kjv-llama/eval.txt'));
    expect(recipe.experts).toEqual({
      sizes: [0.125, 0.25, 0.5, 0.75, 1],
      ordering: 'activation',
      grouping: 'none',
      align: 32,
      adapt: 'lsq',
      adapt_ridge: 1e-3,
      adapt_full_weight: 32,
    });
    expect(recipe.router.input).toBe('normed');
    expect(recipe.router.train).toEqual({
      steps: 400,
      batch: 2048,
      lr: 3e-3,
      schedule: 'cosine',
      weight_decay: 0,
      heldout: 0.1,
      patience: 5,
      device: 'cpu',
    });
    expect(recipe.check).toEqual({
      max_ppl_ratio: 1.02,
      max_compute_delta: 0.02,
      max_latency_ratio: null,
      max_task_drop_se: 2,
      max_threshold0_increase: 0.01,
    });
    expect(recipe.eval.thresholds).toEqual([0, 0.02, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1]);
    expect(recipe.output).toEqual({ dense: true, fixed_threshold: 0.075, dtypes: ['fp32', 'q4'] });
  });

  it('resolves relative paths against the recipe file; a non-path model stays a Hub id', () => {
    writeFileSync(join(dir, 'cal.txt'), 'x');
    const recipe = parseRecipeText('model: org/name\ncalibration: { text: cal.txt }\n', file);
    expect(recipe.calibration.text).toBe(join(dir, 'cal.txt'));
    expect(recipe.model).toBe('org/name');
    expect(parseRecipeText('model: ./weights\n', file).model).toBe(join(dir, 'weights'));
    expect(parseRecipeText(`model: ${dir}\n`, file).model).toBe(dir);
  });

  it('every recipe in recipes/ validates', async () => {
    const names = readdirSync(join(packageRoot, 'recipes')).filter((n) => n.endsWith('.yaml'));
    expect(names.length).toBeGreaterThanOrEqual(5);
    for (const name of names)
      await expect(loadRecipe(join(packageRoot, 'recipes', name))).resolves.toBeTruthy();
    const kjv = await loadRecipe(join(packageRoot, 'recipes', 'kjv-llama.yaml'));
    expect(kjv).toEqual(await loadRecipe(undefined));
  });
});

describe('errors, each with its path and line:col', () => {
  it('unknown keys suggest the nearest allowed key, at the key itself', () => {
    expect(problemsOf('modle: x\nexperts:\n  algin: 8\n')).toEqual([
      "modle (1:1): unknown key 'modle'; did you mean 'model'?",
      "experts.algin (3:3): unknown key 'algin'; did you mean 'align'?",
    ]);
    expect(problemsOf('zzzzzz: 1\n')).toEqual([
      "zzzzzz (1:1): unknown key 'zzzzzz'; expected one of 'model', 'revision', 'dtype', 'device', 'seed', 'experts', " +
        "'calibration', 'router', 'eval', 'check', 'output', 'report', 'memory'",
    ]);
  });

  it('output.fixed_threshold takes a number ≥ 0 or auto', () => {
    expect(parseRecipeText('output: { fixed_threshold: auto }\n', file).output.fixed_threshold).toBe('auto');
    expect(problemsOf('output: { fixed_threshold: best }\n')).toEqual([
      "output.fixed_threshold (1:28): must be one of 'auto', got 'best'",
    ]);
    expect(problemsOf('output: { fixed_threshold: -1 }\n')).toEqual([
      'output.fixed_threshold (1:28): must be ≥ 0, got -1',
    ]);
  });

  it('wrong types name what was expected and what came', () => {
    expect(problemsOf('seed: abc\ncheck: 5\neval: { thresholds: [0, "a"] }\n')).toEqual([
      "seed (1:7): expected number, got 'abc'",
      'check (2:8): expected object, got 5',
      "eval.thresholds[1] (3:25): expected number, got 'a'",
    ]);
    expect(problemsOf('seed: 1.5\n')).toEqual(['seed (1:7): expected int, got 1.5']);
  });

  it('bad enum values list the allowed ones', () => {
    expect(problemsOf('router:\n  train:\n    device: gpu\n')).toEqual([
      "router.train.device (3:13): must be one of 'cpu' | 'cuda', got 'gpu'",
    ]);
    expect(problemsOf('dtype: int8\n')).toEqual([
      "dtype (1:8): must be one of 'auto' | 'float32' | 'float16' | 'bfloat16', got 'int8'",
    ]);
    expect(problemsOf('router: { input: raw }\n')).toEqual([
      "router.input (1:18): must be one of 'normed' | 'normed+log_norm', got 'raw'",
    ]);
  });

  it('YAML syntax errors carry their position', () => {
    const problems = problemsOf('experts: [1\nseed: 2\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\(2:1\): YAML syntax error: Flow sequence/);
    expect(problemsOf('seed: 1\nseed: 2\n')).toEqual(['(2:1): YAML syntax error: Map keys must be unique']);
  });

  it('range and rule violations point at the offending field', () => {
    expect(problemsOf('experts: { align: 0 }\n')).toEqual(['experts.align (1:19): must be > 0, got 0']);
    expect(problemsOf('experts: { sizes: [0.5, 0.25, 0.75] }\n')).toEqual([
      'experts.sizes (1:19): the last size must be 1 (the full FFN width), got 0.75',
      'experts.sizes[1] (1:25): sizes must be strictly increasing, got 0.5 then 0.25',
    ]);
    expect(problemsOf('eval: { thresholds: [-0.1, 0.2] }\n')).toEqual([
      'eval.thresholds[0] (1:22): must be ≥ 0, got -0.1',
    ]);
    expect(problemsOf('eval:\n  tokens: 100\n  seq_len: 128\n')).toEqual([
      'eval.tokens (2:11): must be ≥ eval.seq_len (128) to fill one window, got 100',
    ]);
    expect(problemsOf('router:\n  train:\n    steps: 100\n    patience: 21\n')).toEqual([
      'router.train.patience (4:15): counts held-out evaluations and must be ≤ the 20 a run of 100 steps makes, got 21',
    ]);
    expect(problemsOf('experts: { adapt: lsq, adapt_ridge: -1 }\n')).toEqual([
      'experts.adapt_ridge (1:37): must be ≥ 0, got -1',
    ]);
    expect(problemsOf('calibration: { text: missing.txt }\n')).toEqual([
      `calibration.text (1:22): file not found: ${join(dir, 'missing.txt')}`,
    ]);
  });

  it('output.dtypes: fp32 required, no repeats, 4-bit needs experts on quantization-block boundaries', () => {
    expect(problemsOf('output: { dtypes: [q4] }\n')).toEqual([
      'output.dtypes (1:19): must include fp32 (the full sweep runs on it), got [q4]',
    ]);
    expect(problemsOf('output: { dtypes: [fp32, q8, q8] }\n')).toEqual([
      'output.dtypes[2] (1:30): q8 is listed twice',
    ]);
    expect(problemsOf('experts: { align: 16 }\noutput: { dtypes: [fp32, q4f16] }\n')).toEqual([
      'experts.align (1:19): must be a multiple of 32 (the 4-bit quantization block) when output.dtypes has ' +
        'q4f16, got 16; set experts.align: 32 or drop q4f16 from output.dtypes',
    ]);
    const noFourBit = parseRecipeText('experts: { align: 16 }\noutput: { dtypes: [fp32, fp16, q8] }\n', file);
    expect(noFourBit.output.dtypes).toEqual(['fp32', 'fp16', 'q8']);
    expect(problemsOf('output: { dtypes: [fp32, int4] }\n')).toEqual([
      "output.dtypes[1] (1:26): must be one of 'fp32' | 'fp16' | 'q8' | 'q4' | 'q4f16', got 'int4'",
    ]);
  });

  it('reports several problems at once, in file order', () => {
    const problems = problemsOf(
      'seed: -1\nexperts:\n  ordering: weights\n  sizez: [1]\nrouter: { kind: svm }\n',
    );
    expect(problems).toEqual([
      'seed (1:7): must be ≥ 0, got -1',
      "experts.ordering (3:13): must be one of 'weight' | 'activation', got 'weights'",
      "experts.sizez (4:3): unknown key 'sizez'; did you mean 'sizes'?",
      "router.kind (5:17): must be one of 'ridge' | 'mlp', got 'svm'",
    ]);
  });

  it('a document that is not a mapping is rejected at the root', () => {
    expect(problemsOf('- 1\n')).toEqual(['(root) (1:1): expected object, got a list']);
  });

  it('an unreadable recipe file is an InputError naming it', async () => {
    const missing = join(dir, 'nope.yaml');
    await expect(loadRecipe(missing)).rejects.toThrow(
      new InputError(`${missing}: cannot read recipe (ENOENT)`),
    );
  });
});

describe('command-line overrides', () => {
  it('replace recipe fields after validation', async () => {
    writeFileSync(file, 'seed: 3\nrouter: { train: { device: cpu } }\n');
    const recipe = await loadRecipe(file, {
      seed: 7,
      device: 'cuda',
      dtype: 'float16',
      thresholds: [0, 0.5],
    });
    expect([recipe.seed, recipe.router.train.device, recipe.dtype]).toEqual([7, 'cuda', 'float16']);
    expect(recipe.eval.thresholds).toEqual([0, 0.5]);
    expect((await loadRecipe(file, { model: '.' })).model).toBe(process.cwd());
  });

  it('are validated by the same schema and named by their flag', async () => {
    const bad = { seed: -2, device: 'gpu' } as unknown as Parameters<typeof loadRecipe>[1];
    await expect(loadRecipe(undefined, bad)).rejects.toThrow(
      new RecipeError('command line', [
        '--seed: must be ≥ 0, got -2',
        "--device: must be one of 'cpu' | 'cuda', got 'gpu'",
      ]),
    );
    await expect(loadRecipe(undefined, { thresholds: [0.5, 0.1] })).rejects.toThrow(
      new RecipeError('<built-in default recipe>', [
        'eval.thresholds[1] (from --thresholds): thresholds must be strictly increasing, got 0.5 then 0.1',
      ]),
    );
  });
});

describe('dataset text sources', () => {
  it('a Hub dataset replaces the text file; a local table path resolves against the recipe', () => {
    writeFileSync(join(dir, 'rows.parquet'), '');
    const recipe = parseRecipeText(
      [
        'calibration: { dataset: { id: Salesforce/wikitext, config: wikitext-2-raw-v1 } }',
        'eval: { dataset: { path: rows.parquet, column: body } }',
      ].join('\n'),
      file,
    );
    expect(recipe.calibration.text).toBeUndefined();
    expect(recipe.calibration.dataset).toEqual({
      id: 'Salesforce/wikitext',
      config: 'wikitext-2-raw-v1',
      split: 'train',
      column: 'text',
      revision: 'main',
      separator: '\n\n',
    });
    expect(recipe.eval.dataset).toMatchObject({
      path: join(dir, 'rows.parquet'),
      column: 'body',
      split: 'test',
    });
  });

  it('refuses text and dataset together, id and path together, bad ids, names and files, each by field', () => {
    expect(
      problemsOf(
        [
          'calibration: { text: a.txt, dataset: { id: not-an-id, split: ../x } }',
          'eval: { text: t.parquet }',
        ].join('\n'),
      ),
    ).toEqual([
      'calibration.text (1:22): set either text or dataset, not both',
      "calibration.dataset.id (1:44): expected a Hub dataset id 'org/name', got 'not-an-id'",
      "calibration.dataset.split (1:62): letters, digits, '_', '-' and '.' only",
      'eval.text (2:15): t.parquet is a table: use eval.dataset: { path: t.parquet, column: … }',
      `eval.text (2:15): file not found: ${join(dir, 't.parquet')}`,
    ]);
    expect(problemsOf('eval: { dataset: { id: a/b, path: x.jsonl } }')).toEqual([
      'eval.dataset (1:18): expected exactly one of id (a Hub dataset) or path (a local file)',
      `eval.dataset.path (1:35): file not found: ${join(dir, 'x.jsonl')}`,
    ]);
    expect(problemsOf('eval: { dataset: { path: missing.jsonl } }')).toEqual([
      `eval.dataset.path (1:26): file not found: ${join(dir, 'missing.jsonl')}`,
    ]);
  });
});
