import { describe, expect, it } from 'vitest';
import { briefValue, escapeControls, printable } from './untrusted-text.js';

describe('untrusted text in messages', () => {
  it('escapes every kind of line break and control character, keeping unicode', () => {
    expect(escapeControls('a\nb\r\u2028c\u0000\u0085 é😀')).toBe(
      'a\\u000ab\\u000d\\u2028c\\u0000\\u0085 é😀',
    );
  });

  it('cuts long names to 120 characters', () => {
    expect(printable('x'.repeat(5000))).toBe(`${'x'.repeat(117)}...`);
    expect(printable('model.layers.0.mlp.up_proj.weight')).toBe('model.layers.0.mlp.up_proj.weight');
  });

  it('shows values as short JSON, even nested past the stack limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(briefValue(deep)).toBe('[...]');
    expect(briefValue('a\nb')).toBe('"a\\nb"');
    expect(briefValue({ a: 'x'.repeat(100) })).toBe(`{"a":"${'x'.repeat(51)}...`);
    expect(briefValue(undefined)).toBe('undefined');
  });
});
