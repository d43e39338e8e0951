/**
 * Shared rules of the parser fuzz tests: a fixed seed, case counts scaled by `MOEFY_FUZZ_RUNS` (long mode), and the
 * one property every parser must keep — a case ends in success or a MoefyError with a one-line message, in time.
 */
import { afterAll, expect } from 'vitest';
import { MoefyError, RecipeError } from '../../src/util/errors.js';

export const FUZZ_SEED = 20_240_808;
/** Wall-clock limit of one case: parsers of files this small answer in milliseconds unless they hang. */
export const CASE_LIMIT_MS = 2_000;

const multiplier = Math.max(1, Number(process.env.MOEFY_FUZZ_RUNS ?? '1') || 1);

/** `base` cases in CI, `base × MOEFY_FUZZ_RUNS` in the long mode. */
export function runs(base: number): number {
  return Math.round(base * multiplier);
}

export type Outcome = 'ok' | 'typed';

/** Counts outcomes per parser and prints them when the file's tests end (the issue asks for case counts). */
export function caseCounter(parser: string) {
  const counts: Record<Outcome, number> = { ok: 0, typed: 0 };
  afterAll(() => {
    const total = counts.ok + counts.typed;
    console.log(`fuzz ${parser}: ${total} cases (${counts.ok} parsed, ${counts.typed} typed errors)`);
  });
  return (outcome: Outcome) => void counts[outcome]++;
}

/** The property: `body` returns, or throws a MoefyError whose message is one line (RecipeError: its list). */
export async function settle(body: () => unknown): Promise<Outcome> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`case exceeded ${CASE_LIMIT_MS} ms`)), CASE_LIMIT_MS);
  });
  try {
    await Promise.race([Promise.resolve().then(body), timeout]);
    return 'ok';
  } catch (err) {
    expectTypedError(err);
    return 'typed';
  } finally {
    clearTimeout(timer);
    // A synchronous hang cannot be interrupted; it still fails the case once it returns.
    expect(performance.now() - started).toBeLessThan(CASE_LIMIT_MS);
  }
}

export function expectTypedError(err: unknown): asserts err is MoefyError {
  if (!(err instanceof MoefyError)) {
    throw new Error(`not a MoefyError: ${(err as Error)?.stack ?? String(err)}`);
  }
  if (err instanceof RecipeError) {
    const [head, ...problems] = err.message.split('\n');
    expect(head).toBe(`${err.file}: invalid recipe`);
    expect(problems.length).toBeGreaterThan(0);
    for (const line of problems) expect(line).toMatch(/^ {2}./);
    for (const p of err.problems) expect(p).not.toContain('\n');
    return;
  }
  expect(err.message, 'one-line message').not.toMatch(/[\n\r]/);
  expect(err.message.length).toBeGreaterThan(0);
}
