import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** The real CLI in a child process, as a user runs it (tsx, so no build is needed). */
async function moefy(...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'src/bin.ts', ...args], {
    env: { ...process.env, NO_COLOR: '1' },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({
      code: err.code,
      stdout: err.stdout,
      stderr: err.stderr,
    }),
  );
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
