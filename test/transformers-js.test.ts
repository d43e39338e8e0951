/**
 * transformers.js loads a converted kjv-llama output directory offline (`onnx/model.onnx`, the fixed-operating-point
 * graph, plus config.json and the tokenizer files) and generates the same greedy text as our own KV-cache loop over
 * `model_fixed.onnx`; with `dtype: 'q4'` / `'fp16'` it opens `onnx/model_q4.onnx` / `onnx/model_fp16.onnx` and
 * generates what `moefy generate --dtype` does with the same weights.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env, type Tensor } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '../src/app/generate/decode-loop.js';
import { argmax } from '../src/app/generate/sampling.js';
import { loadTokenizer } from '../src/data/tokenizer.js';
import { createSession, releaseSession } from '../src/runtime/session.js';
import { fixtureDir } from './support/golden.js';
import { convertKjv, moefy } from './support/kjv-convert.js';
import { checkOnnxModel } from './support/onnx-checker.js';
import { runCli } from './support/cli.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-tjs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PROMPT = 'In the beginning God';
const NEW_TOKENS = 24;

/** Our reference: greedy decoding over `graph` (model_fixed.onnx) with moefy's tokenizer and KV-cache loop. */
async function ourGreedy(out: string, graph = 'model_fixed.onnx'): Promise<{ ids: number[]; text: string }> {
  const tokenizer = loadTokenizer(out);
  const prompt = tokenizer.encode(PROMPT);
  const session = await createSession(join(out, graph));
  try {
    const manifest = JSON.parse(readFileSync(join(out, 'moefy.json'), 'utf8'));
    const { layers, kv_heads: kvHeads, head_dim: headDim } = manifest.model;
    const r = await decode({
      session,
      cache: { layers, kvHeads, headDim },
      prompt,
      maxNewTokens: NEW_TOKENS,
      pick: argmax,
    });
    const ids = [...prompt, ...r.tokens];
    return { ids, text: tokenizer.decode(ids) };
  } finally {
    await releaseSession(session);
  }
}

describe('transformers.js on a converted model', () => {
  let out: string;
  beforeAll(() => {
    // The router reads log‖r‖ too (not the default): its graph adds ‖r‖ and log to the ops transformers.js must
    // run and keeps the same inputs and outputs, so it covers the default's graph as well.
    out = convertKjv(root, 'output: { dtypes: [fp32, fp16, q4] }\nrouter: { input: normed+log_norm }');
  });

  it('finds the layout it expects: onnx/model.onnx with model.onnx_data beside it, config flags', () => {
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config['transformers.js_config']).toEqual({ dtype: 'fp32', use_external_data_format: true });
    expect(config.model_type).toBe('llama');
    // Hard-linked to the shared data file: no second copy of the weights on disk.
    expect(statSync(join(out, 'onnx/model.onnx_data')).ino).toBe(statSync(join(out, 'model.onnx.data')).ino);
    // The same graph as model_fixed.onnx; only the data location differs (two names of equal length).
    const fixed = readFileSync(join(out, 'model_fixed.onnx'), 'latin1');
    expect(readFileSync(join(out, 'onnx/model.onnx'), 'latin1')).toBe(
      fixed.replaceAll('model.onnx.data', 'model.onnx_data'),
    );
    checkOnnxModel(join(out, 'onnx/model.onnx')); // also resolves the data file beside it
    const manifest = JSON.parse(readFileSync(join(out, 'moefy.json'), 'utf8'));
    const graph = manifest.graphs.find((g: { role: string }) => g.role === 'transformers_js');
    expect(graph).toMatchObject({ file: 'onnx/model.onnx', data: 'onnx/model.onnx_data' });
    expect(graph.inputs).not.toContain('router_threshold');
    expect(graph.outputs).not.toContain('expert_index');
  });

  it('loads offline and generates the same greedy text as our loop over model_fixed.onnx', async () => {
    const { ids, text } = await transformersJsGreedy(out);
    const ours = await ourGreedy(out);
    expect(ids).toEqual(ours.ids);
    expect(text).toBe(ours.text);
    expect(text.startsWith(PROMPT)).toBe(true);
    expect(ids).toHaveLength(ours.ids.length);
    expectKjvEnglish(text.slice(PROMPT.length));
  });

  it.each([
    ['q4', 'model_q4.onnx'],
    ['fp16', 'model_fp16.onnx'],
  ] as const)(
    'dtype %s opens onnx/%s and generates what `moefy generate --dtype` does with the same weights',
    async (dtype, file) => {
      // The files transformers.js picks by dtype: the fixed graph of that precision, its data hard-linked.
      const tjsFile = join(out, 'onnx', file);
      expect(statSync(`${tjsFile}_data`).ino).toBe(statSync(join(out, `${file}.data`)).ino);
      checkOnnxModel(tjsFile);
      const ours = await ourGreedy(out, file.replace('model_', 'model_fixed_'));
      const { ids, text } = await transformersJsGreedy(out, dtype);
      expect(ids).toEqual(ours.ids);
      expect(text).toBe(ours.text);
      // moefy generate --dtype runs the router graph of that precision at the recipe's threshold (the fixed one's).
      const cli = moefy([
        'generate',
        out,
        '--dtype',
        dtype,
        '--prompt',
        PROMPT,
        '--max-new-tokens',
        String(NEW_TOKENS),
      ]);
      expect(cli.code).toBe(0);
      // generate prints the text, then one newline. No trim: greedy text can end in a space token (", and the
      // LOrges of the " under router.input normed+log_norm), which a trimEnd would drop from one side only.
      expect(cli.stdout).toBe(`${text}\n`);
      expectKjvEnglish(text.slice(PROMPT.length));
    },
  );
});

/** transformers.js, offline, greedy: the ids and text of PROMPT + NEW_TOKENS. */
async function transformersJsGreedy(
  out: string,
  dtype?: 'q4' | 'fp16',
): Promise<{ ids: number[]; text: string }> {
  env.allowRemoteModels = false;
  env.localModelPath = dirname(out);
  const options = { local_files_only: true } as const;
  const tokenizer = await AutoTokenizer.from_pretrained(basename(out), options);
  const model = await AutoModelForCausalLM.from_pretrained(basename(out), {
    ...options,
    ...(dtype && { dtype }),
  });
  try {
    const generated = (await model.generate({
      ...tokenizer(PROMPT),
      max_new_tokens: NEW_TOKENS,
      do_sample: false,
    })) as Tensor;
    const ids = (generated.tolist() as bigint[][])[0]!.map(Number);
    return { ids, text: tokenizer.decode(ids, { skip_special_tokens: true }) };
  } finally {
    await model.dispose();
  }
}

describe('transformers.js on a dense export', () => {
  it('loads `moefy export --with-past` offline and generates what our loop does over its model.onnx', async () => {
    const out = join(root, 'export');
    const r = runCli(['export', fixtureDir('kjv-llama'), '--out', out, '--with-past'], {
      env: { HF_HUB_OFFLINE: '1' },
    });
    expect(r.code, r.stderr).toBe(0);
    const ours = await ourGreedy(out, 'model.onnx');
    expect((await transformersJsGreedy(out)).ids).toEqual(ours.ids);
    expectKjvEnglish(ours.text.slice(PROMPT.length));
  });
});

/** Most words of the continuation are words of the KJV calibration text: the model speaks its English. */
function expectKjvEnglish(continuation: string): void {
  const known = new Set(
    readFileSync(join(fixtureDir('kjv-llama'), 'calibration.txt'), 'utf8')
      .toLowerCase()
      .match(/[a-z]+/g),
  );
  // The token limit cuts the last word anywhere ("… of the LO"): only words the continuation finished count.
  const finished = /[a-z]$/i.test(continuation) ? continuation.replace(/[a-z]+$/i, '') : continuation;
  const words = finished.toLowerCase().match(/[a-z]+/g) ?? [];
  expect(words.length).toBeGreaterThanOrEqual(3);
  expect(words.filter((w) => known.has(w)).length / words.length).toBeGreaterThanOrEqual(0.7);
}
