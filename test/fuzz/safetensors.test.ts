/**
 * Fuzzing the safetensors reader through real files: byte mutations of a fixture's header, header-length lies, and
 * generated headers with hostile dtypes, shapes, offsets and names. Every tensor of a file that opens is read back.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '../../src/checkpoint/safetensors-read.js';
import { CheckpointFormatError } from '../../src/util/errors.js';
import { fixtureDir } from '../support/golden.js';
import { caseCounter, FUZZ_SEED, runs, settle } from './fuzz-support.js';
import { applyMutations, mutations } from './mutate.js';
import { hostileHeader, safetensorsBytes } from './safetensors-gen.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-fuzz-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'model.safetensors');
const fixture = readFileSync(join(fixtureDir('gpt2'), 'model.safetensors'));
const headerSpan = 8 + Number(fixture.readBigUInt64LE(0));
const count = caseCounter('safetensors');

/** Opens the file and reads every tensor; each must lie inside the data area and come back at its exact size. */
async function openAndReadAll(bytes: Uint8Array): Promise<void> {
  writeFileSync(file, bytes);
  const size = statSync(file).size;
  const st = await openSafetensors(file);
  const dataStart = 8 + Number(Buffer.from(bytes).readBigUInt64LE(0));
  for (const info of st.tensors.values()) {
    expect(info.begin).toBeGreaterThanOrEqual(dataStart);
    expect(info.end).toBeLessThanOrEqual(size);
    expect((await st.readRaw(info.name)).length).toBe(info.end - info.begin);
    if (['F32', 'F16', 'BF16', 'F64'].includes(info.dtype)) await st.readFloat32(info.name);
  }
}

const property = (arb: fc.Arbitrary<Uint8Array>) =>
  fc.asyncProperty(arb, async (bytes) => count(await settle(() => openAndReadAll(bytes))));

describe('safetensors reader under fuzzing', () => {
  it('survives byte mutations of a real file, mostly in its header', async () => {
    const mutated = fc
      .tuple(mutations(), fc.boolean())
      .map(([list, wholeFile]) => applyMutations(fixture, list, wholeFile ? fixture.length : headerSpan));
    await fc.assert(property(mutated), { seed: FUZZ_SEED, numRuns: runs(300) });
  });

  it('survives header-length lies', async () => {
    const lies = fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.integer({ min: -16, max: 16 }).map((d) => BigInt(Math.max(0, headerSpan - 8 + d))),
      fc.constantFrom(0n, 1n, 100_000_000n, 100_000_001n, (1n << 63n) + 5n, (1n << 64n) - 1n),
    );
    const lied = lies.map((n) => {
      const out = Buffer.from(fixture.subarray(0, headerSpan + 4096));
      out.writeBigUInt64LE(n, 0);
      return out;
    });
    await fc.assert(property(lied), { seed: FUZZ_SEED, numRuns: runs(200) });
  });

  it('survives generated headers with hostile dtypes, shapes, offsets and names', async () => {
    await fc.assert(property(hostileHeader.map(safetensorsBytes)), { seed: FUZZ_SEED, numRuns: runs(1200) });
  });

  it('rejects a header claiming 2^40-element tensors before allocating anything', async () => {
    const header = { w: { dtype: 'F32', shape: [2 ** 20, 2 ** 20], data_offsets: [0, 2 ** 42] } };
    const before = process.memoryUsage().arrayBuffers;
    await expect(
      openAndReadAll(safetensorsBytes({ header: JSON.stringify(header), dataBytes: 16 })),
    ).rejects.toThrow(
      new CheckpointFormatError(
        file,
        'w.data_offsets: [0, 4398046511104] must lie inside the data area of 16 bytes',
      ),
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
  });
});
