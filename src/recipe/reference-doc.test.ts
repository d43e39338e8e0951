import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { packageRoot } from './default.js';
import { recipeJsonSchemaText } from './json-schema.js';
import { recipeReferenceText, REFERENCE_FILE } from './reference-doc.js';
import { recipeSchema } from './schema.js';

describe('docs/recipe-reference.md', () => {
  it('is up to date with the zod schema (run `npm run schema` when this fails)', () => {
    expect(readFileSync(join(packageRoot, REFERENCE_FILE), 'utf8')).toBe(recipeReferenceText());
  });

  it('lists every field with its dotted path, allowed values and default', () => {
    const text = recipeReferenceText();
    expect(text).toContain('## `router.train`');
    expect(text).toMatch(
      /\| `router\.train\.device` \| `"cpu"` \\\| `"cuda"` \| `"cpu"` \| execution provider/,
    );
    expect(text).toMatch(
      /\| `experts\.sizes` \| list \(≥ 1\) of number > 0, ≤ 1 \| `\[0\.125, 0\.25, 0\.5, 0\.75, 1\]` \|/,
    );
    expect(text).toMatch(/\| `check\.max_latency_ratio` \| number > 0 or null \| `null` \|/);
    expect(text).toMatch(/\| `model` \| string non-empty \| — \|/);
  });

  it('describes every field: no row has an empty description', () => {
    const rows = recipeReferenceText()
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    expect(rows.length).toBe(leafCount(JSON.parse(recipeJsonSchemaText())));
    for (const row of rows) expect(row, row).not.toMatch(/\|\s*\|$/);
  });

  it('ends with the default recipe as YAML that the schema accepts and that equals its defaults', () => {
    const yaml = /## The default recipe[\s\S]*?```yaml\n([\s\S]*?)```/.exec(recipeReferenceText())?.[1];
    expect(yaml).toBeDefined();
    const parsed = parse(yaml as string);
    expect(recipeSchema.parse(parsed)).toEqual(recipeSchema.parse({}));
    expect(parsed).toEqual(recipeSchema.parse({}));
  });
});

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
}

/** Fields that are not sections: the rows the reference must have. */
function leafCount(node: SchemaNode): number {
  return Object.values(node.properties ?? {}).reduce(
    (n, child) => n + (child.type === 'object' ? leafCount(child) : 1),
    0,
  );
}
