/**
 * The same bad number gets the same one-line message and exit 2 from plan, convert and eval; plan and convert take
 * a recipe the same two ways (real processes).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliAsync } from './support/cli.js';

const moefy = (args: string[]) => runCliAsync(args, { env: { HF_HUB_OFFLINE: '1', CI: 'true' } });

const COMMANDS: Record<string, string[]> = {
  plan: ['plan'],
  convert: ['convert', '--out', '/nonexistent/never-written'],
  eval: ['eval', '/nonexistent/out'],
};

describe('number flags', () => {
  it.each([[['--thresholds', '0.1,x'], '--thresholds: expected comma-separated numbers ≥ 0, got "0.1,x"']])(
    '%s is reported alike by plan, convert and eval',
    async (flag, message) => {
      for (const [name, args] of Object.entries(COMMANDS)) {
        const r = await moefy([...args, ...flag]);
        expect(r.code, name).toBe(2);
        expect(r.stderr, name).toBe(`moefy: ${message}\n`);
      }
    },
  );

  it.each([
    ['1.5', '--seed: expected an integer ≥ 0, got "1.5"'],
    ['-1', '--seed: expected an integer ≥ 0, got "-1"'],
  ])('--seed %s is reported alike by plan and convert', async (value, message) => {
    for (const name of ['plan', 'convert']) {
      const r = await moefy([...COMMANDS[name]!, '--seed', value]);
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toBe(`moefy: ${message}\n`);
    }
  });
});

describe('recipe argument', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moefy-flags-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const recipe = join(dir, 'r.yaml');
  writeFileSync(recipe, 'experts: { sizez: [0.5, 1] }\n');
  const invalid = `moefy: ${recipe}: invalid recipe\n  experts.sizez (1:12): unknown key 'sizez'; did you mean 'sizes'?\n`;

  it('a positional *.yaml is read as --recipe is, by plan and convert', async () => {
    for (const args of [
      ['plan', recipe],
      ['plan', '--recipe', recipe],
      ['convert', recipe, '--out', join(dir, 'never')],
      ['convert', '--recipe', recipe, '--out', join(dir, 'never')],
    ]) {
      const r = await moefy(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toBe(invalid);
    }
  });

  it('refuses two recipes', async () => {
    const r = await moefy(['convert', recipe, '--recipe', 'other.yaml', '--out', join(dir, 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `moefy: --recipe: given twice ("${recipe}" and --recipe "other.yaml"); pass one recipe\n`,
    );
  });
});
