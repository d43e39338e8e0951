import { describe, expect, it } from 'vitest';
import { createSession } from '../../runtime/session.js';
import { ELEM, GraphBuilder, encodeModel } from '../../onnx/builder.js';
import { measureMachineRate, PROBE_SHAPE } from './machine-rate.js';

/** Whether this machine has the CUDA build of ORT and a GPU (CI has neither). */
async function hasCuda(): Promise<boolean> {
  const b = new GraphBuilder('cuda-check');
  const x = b.input('x', ELEM.float, [1]);
  b.output('y', b.op('Identity', [x])[0]!, ELEM.float, [1]);
  return createSession(encodeModel(b.model()), { device: 'cuda' }).then(
    () => true,
    () => false,
  );
}

describe('machine rate', () => {
  it('times the FFN-sized probe on the CPU', async () => {
    const rate = await measureMachineRate('cpu');
    expect(rate?.device).toBe('cpu');
    // One run is 5.9 GFLOP; any machine that runs it at all lands between 0.1 GFLOP/s and 100 TFLOP/s.
    expect(2 * PROBE_SHAPE.tokens * PROBE_SHAPE.hidden * PROBE_SHAPE.ffn).toBe(5_905_580_032);
    expect(rate!.flopsPerSecond).toBeGreaterThan(1e8);
    expect(rate!.flopsPerSecond).toBeLessThan(1e14);
  });

  it('measures CUDA where it runs and has no rate where it cannot (CI: no CUDA build)', async () => {
    const rate = await measureMachineRate('cuda');
    if (await hasCuda()) expect(rate?.device).toBe('cuda');
    else expect(rate).toBeNull();
  });
});
