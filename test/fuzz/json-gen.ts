/** Adversarial JSON fragments shared by the fuzzers: hostile numbers, prototype keys, deep nesting, odd strings. */
import fc from 'fast-check';

/** Keys that break naive object handling, plus control characters and unicode. */
export const hostileKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '__metadata__',
  '',
  'a\nb',
  'tab\there',
  '\u0000',
  '\u202e',
  '😀',
  '\ud800',
  'x'.repeat(5000),
);

/** Numbers as JSON text: huge (2^40, 2^53+1, 1e400 → Infinity), negative, fractional, or not numbers at all. */
export const hostileNumberText = fc.oneof(
  fc.integer({ min: 0, max: 300 }).map(String),
  fc.constantFrom(
    '1099511627776',
    '9007199254740993',
    '2147483648',
    '1e12',
    '1e400',
    '-1e400',
    '-1',
    '-0',
    '1.5',
    '0',
    'null',
    'true',
    '"3"',
    '[]',
    '{}',
  ),
);

/** Text of an arbitrary JSON value, a deeply nested one, or a very long string. */
export const jsonGarbageText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('"' + 'x'.repeat(100_000) + '"', '"\\ud800"', '"\\u0000"', 'NaN', ''),
  },
  { weight: 1, arbitrary: hostileNumberText },
);
