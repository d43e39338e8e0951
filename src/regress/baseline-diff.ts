/** What `--update-baseline` changes, in lines a reviewer can check against the git diff of the baseline file. */
import { roundNumber } from '../report/json.js';
import type { Baseline, BaselinePoint } from './baseline.js';
import { pointKey } from './point-key.js';

type Figure =
  'perplexity' | 'accuracy' | 'flops_fraction' | 'ffn_fraction' | 'prefill_ms' | 'decode_tokens_per_s';

function figures(p: BaselinePoint): [Figure, number | null][] {
  return [
    ['perplexity', p.perplexity],
    ['accuracy', p.accuracy],
    ['flops_fraction', p.flops_fraction],
    ['ffn_fraction', p.ffn_fraction],
    ['prefill_ms', p.latency?.prefill_ms ?? null],
    ['decode_tokens_per_s', p.latency?.decode_tokens_per_s ?? null],
  ];
}

function shown(v: number | null): string {
  return v === null ? '—' : String(roundNumber(v));
}

/** `learned t=0.1: perplexity 12.71 → 13.98, flops_fraction 0.8 → 0.82`, or null when nothing moved. */
function pointChange(was: BaselinePoint, is: BaselinePoint): string | null {
  const now = new Map(figures(is));
  const moved = figures(was)
    .filter(([name, v]) => now.get(name) !== v)
    .map(([name, v]) => `${name} ${shown(v)} → ${shown(now.get(name) ?? null)}`);
  return moved.length === 0 ? null : `${pointKey(is)}: ${moved.join(', ')}`;
}

function identityChanges(old: Baseline, next: Baseline): string[] {
  const pairs: [string, unknown, unknown][] = [
    ['moefy_version', old.moefy_version, next.moefy_version],
    ['model', JSON.stringify(old.model), JSON.stringify(next.model)],
    ['eval', JSON.stringify(old.eval), JSON.stringify(next.eval)],
  ];
  return pairs.filter(([, a, b]) => a !== b).map(([f, a, b]) => `${f}: ${String(a)} → ${String(b)}`);
}

/** Every changed identity field and figure, added and removed point; `old` null: a first baseline. */
export function describeBaselineChange(old: Baseline | null, next: Baseline): string[] {
  if (old === null) return [`new baseline with ${next.points.length} points`];
  const before = new Map(old.points.map((p) => [pointKey(p), p]));
  const after = new Set(next.points.map((p) => pointKey(p)));
  const lines = identityChanges(old, next);
  for (const p of next.points) {
    const was = before.get(pointKey(p));
    const line = was === undefined ? `${pointKey(p)}: added` : pointChange(was, p);
    if (line !== null) lines.push(line);
  }
  for (const key of before.keys()) if (!after.has(key)) lines.push(`${key}: removed`);
  return lines.length === 0 ? ['no change'] : lines;
}
