import { describe, expect, it } from 'vitest';
import { InputError } from '../util/errors.js';
import { ActivationStats, importanceFromMeanAbs } from './activation-stats.js';
import { columnNorms, rowNorms, weightImportance } from './importance.js';

// ffnDim 3, hidden 2. up rows: neuron norms 5, 1, 0; down [hidden=2, ffnDim=3] columns: norms 1, 2, 3.
const up = Float32Array.from([3, 4, 1, 0, 0, 0]);
const down = Float32Array.from([1, 0, 3, 0, 2, 0]);
const gate = Float32Array.from([0, 2, 3, 4, 1, 1]);

describe('weightImportance', () => {
  it('is ‖up row‖·‖down column‖', () => {
    expect([...rowNorms(up, 3, 2)]).toEqual([5, 1, 0]);
    expect([...columnNorms(down, 2, 3)]).toEqual([1, 2, 3]);
    expect([...weightImportance({ up, down, ffnDim: 3, hidden: 2 })]).toEqual([5, 2, 0]);
  });

  it('multiplies in the gate row norm for gated FFNs', () => {
    expect([...weightImportance({ up, down, gate, ffnDim: 3, hidden: 2 })]).toEqual([10, 10, 0]);
  });

  it('rejects weights of the wrong size, naming the tensor', () => {
    expect(() => weightImportance({ up, down: down.subarray(1), ffnDim: 3, hidden: 2 })).toThrow(
      new InputError('ffn.down: expected 6 weights, got 5'),
    );
    expect(() => weightImportance({ up, down, gate: gate.subarray(2), ffnDim: 3, hidden: 2 })).toThrow(
      new InputError('ffn.gate: expected 6 weights, got 4'),
    );
  });
});

describe('ActivationStats', () => {
  it('accumulates E|h| over batches and weights it by the down column norms', () => {
    const stats = new ActivationStats(3);
    stats.add(Float32Array.from([1, -2, 0, -3, 2, 0]), 2);
    stats.add(Float32Array.from([2, 2, 0]), 1);
    expect(stats.count).toBe(3);
    expect([...stats.meanAbs()]).toEqual([2, 2, 0]);
    expect([...importanceFromMeanAbs(stats.meanAbs(), columnNorms(down, 2, 3))]).toEqual([2, 4, 0]);
  });

  it('rejects bad batches, empty stats and mismatched norms', () => {
    const stats = new ActivationStats(3);
    expect(() => stats.meanAbs()).toThrow(
      new InputError('activations: no calibration tokens were accumulated'),
    );
    expect(() => stats.add(new Float32Array(5), 2)).toThrow(
      new InputError('activations: expected 2×3 values, got 5'),
    );
    stats.add(new Float32Array(3), 1);
    expect(() => importanceFromMeanAbs(stats.meanAbs(), new Float64Array(2))).toThrow(
      new InputError('ffn.down: expected 3 column norms, got 2'),
    );
  });
});
