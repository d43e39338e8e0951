import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureDir } from './support/golden.js';
import { runCliAsync } from './support/cli.js';

/** The real CLI in a child process, as a user runs it (tsx, so no build is needed). */
async function moefy(...args: string[]) {
  return runCliAsync(args, { env: { NO_COLOR: '1' } });
}

describe('moefy inspect', () => {
  it('prints the shapes, parameters and files of kjv-llama', async () => {
    const { code, stdout, stderr } = await moefy('inspect', 'fixtures/kjv-llama');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^model {9}llama \(LlamaForCausalLM\)$/m);
    expect(stdout).toMatch(
      /vocab {7}256\n {2}hidden {6}128\n {2}layers {6}4\n {2}heads {7}4 \(kv heads 4, head dim 32\)/,
    );
    expect(stdout).toMatch(/ffn {9}512 \(gated, silu\)/);
    expect(stdout).toMatch(/dtypes {8}F32 \(39 tensors, 4\.5 MB\)/);
    expect(stdout).toMatch(/total {10}1,115,264/);
    expect(stdout).toMatch(/ffn share {3}70\.5%/);
    expect(stdout).toMatch(/model\.safetensors +4\.5 MB/);
    expect(stdout).not.toContain('\u001b['); // plain text when not a TTY
  });

  it('prints the same report as JSON with --json', async () => {
    const { code, stdout } = await moefy('inspect', 'fixtures/golden/gpt2', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      family: 'gpt2',
      architecture: 'GPT2LMHeadModel',
      source: { kind: 'local' },
      shapes: {
        vocab: 256,
        hidden: 64,
        layers: 2,
        heads: 4,
        kvHeads: 4,
        headDim: 16,
        ffnDim: 256,
        tiedEmbeddings: true,
      },
      parameters: { lmHead: 0, total: 124_672 },
    });
    expect(report.files.map((f: { name: string }) => f.name)).toContain('model.safetensors');
  });

  it('exits 2 with a one-line message for a bad ref', async () => {
    const { code, stdout, stderr } = await moefy('inspect', './no/such/dir');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^moefy: \.\/no\/such\/dir: no such directory/);
  });
});

describe('moefy inspect on an ONNX file', () => {
  it('describes an exported graph: opset, I/O with shapes, operators, external weights', async () => {
    const out = mkdtempSync(join(tmpdir(), 'moefy-inspect-onnx-'));
    try {
      expect((await moefy('export', fixtureDir('llama-gqa'), '--out', join(out, 'dense'))).code).toBe(0);
      const r = await moefy('inspect', join(out, 'dense', 'model.onnx'), '--json');
      expect(r.code).toBe(0);
      const d = JSON.parse(r.stdout);
      expect(d).toMatchObject({ irVersion: 8, opsets: { 'ai.onnx': 17 }, graph: 'decoder' });
      expect(d.inputs.map((v: { name: string }) => v.name)).toEqual([
        'input_ids',
        'attention_mask',
        'position_ids',
      ]);
      expect(d.outputs[0]).toEqual({
        name: 'logits',
        type: 'FLOAT',
        shape: ['batch_size', 'sequence_length', 256],
      });
      expect(d.initializers.externalFiles).toEqual(['model.onnx.data']);
      expect(d.initializers.externalBytes).toBeGreaterThan(600_000);
      const text = await moefy('inspect', join(out, 'dense', 'model.onnx'));
      expect(text.stdout).toMatch(/^graph +decoder/m);
      expect(text.stdout).toMatch(/MatMul \d+/);
      writeFileSync(join(out, 'bad.onnx'), 'not a protobuf');
      const bad = await moefy('inspect', join(out, 'bad.onnx'));
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/bad\.onnx: not an ONNX model/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
