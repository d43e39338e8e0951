/** The same bad number gets the same one-line message and exit 2 from plan, convert and eval (real processes). */
import { describe, expect, it } from 'vitest';
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
