/**
 * The "How to run it" section of the model card: onnxruntime-node and Python onnxruntime on the router-driven
 * `model.onnx` (the threshold is an input), transformers.js on the fixed graph `onnx/model.onnx`. The snippets
 * read the graph's shapes from moefy.json, so they hold for any converted model.
 */

export interface UsageInput {
  readonly repo: string;
  readonly threshold: number;
  readonly fixedThreshold: number;
  readonly prompt: string;
}

export function usageSection(u: UsageInput): string[] {
  const dir = u.repo.split('/')[1]!;
  return [
    '## How to run it',
    '',
    'Download the repository first (`hf download ' + `${u.repo} --local-dir ${dir}\`` + ', or `git clone`).',
    '`model.onnx` takes the operating point as the input `router_threshold` (float32 scalar): 0 is the dense',
    'model, larger values route more tokens to smaller experts. The output `expert_index` [layers, batch, seq] says',
    'which expert each token used (an index into `moefy.json` → `experts.sizes`). All graphs have a KV cache',
    '(`past_key_values.{i}.key|value` in, `present.{i}.key|value` out; pass empty pasts on the first call).',
    '',
    '### onnxruntime-node',
    '',
    '```js',
    "import { readFileSync } from 'node:fs';",
    "import ort from 'onnxruntime-node';",
    "import { Tokenizer } from '@huggingface/tokenizers';",
    '',
    `const dir = '${dir}';`,
    "const { layers, kv_heads, head_dim } = JSON.parse(readFileSync(`${dir}/moefy.json`, 'utf8')).model;",
    "const read = (f) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));",
    "const tokenizer = new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));",
    'const session = await ort.InferenceSession.create(`${dir}/model.onnx`);',
    '',
    `const ids = tokenizer.encode(${JSON.stringify(u.prompt)}).ids;`,
    "const int64 = (v) => new ort.Tensor('int64', BigInt64Array.from(v, BigInt), [1, v.length]);",
    'const feeds = {',
    '  input_ids: int64(ids),',
    '  attention_mask: int64(ids.map(() => 1)),',
    '  position_ids: int64(ids.map((_, i) => i)),',
    `  router_threshold: new ort.Tensor('float32', Float32Array.of(${u.threshold}), []),`,
    '};',
    "const empty = new ort.Tensor('float32', new Float32Array(0), [1, kv_heads, 0, head_dim]);",
    'for (let i = 0; i < layers; i++) {',
    '  feeds[`past_key_values.${i}.key`] = empty;',
    '  feeds[`past_key_values.${i}.value`] = empty;',
    '}',
    'const { logits, expert_index } = await session.run(feeds);',
    '```',
    '',
    '### Python (onnxruntime)',
    '',
    '```python',
    'import json',
    'import numpy as np',
    'import onnxruntime as ort',
    'from tokenizers import Tokenizer',
    '',
    `d = "${dir}"`,
    'm = json.load(open(f"{d}/moefy.json"))["model"]',
    'tokenizer = Tokenizer.from_file(f"{d}/tokenizer.json")',
    'session = ort.InferenceSession(f"{d}/model.onnx")',
    '',
    `ids = np.array([tokenizer.encode(${JSON.stringify(u.prompt)}, add_special_tokens=False).ids], dtype=np.int64)`,
    'feeds = {',
    '    "input_ids": ids,',
    '    "attention_mask": np.ones_like(ids),',
    '    "position_ids": np.arange(ids.shape[1], dtype=np.int64)[None],',
    `    "router_threshold": np.array(${u.threshold}, dtype=np.float32),`,
    '}',
    'for i in range(m["layers"]):',
    '    for kv in ("key", "value"):',
    '        feeds[f"past_key_values.{i}.{kv}"] = np.zeros((1, m["kv_heads"], 0, m["head_dim"]), np.float32)',
    'logits, expert_index = session.run(["logits", "expert_index"], feeds)',
    '```',
    '',
    '### transformers.js',
    '',
    `transformers.js feeds only Optimum's input names, so it loads \`onnx/model.onnx\`: the same model with`,
    `threshold ${u.fixedThreshold} baked in (\`model_fixed.onnx\` is the same graph).`,
    '',
    '```js',
    "import { pipeline } from '@huggingface/transformers';",
    '',
    `const generator = await pipeline('text-generation', '${u.repo}', { dtype: 'fp32' });`,
    `const [out] = await generator(${JSON.stringify(u.prompt)}, { max_new_tokens: 32, do_sample: false });`,
    'console.log(out.generated_text);',
    '```',
    '',
  ];
}
