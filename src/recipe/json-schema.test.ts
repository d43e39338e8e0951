import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from './default.js';
import { recipeJsonSchemaText, SCHEMA_FILE } from './json-schema.js';

describe('schema/recipe.schema.json', () => {
  it('is up to date with the zod schema (run `npm run schema` when this fails)', () => {
    expect(readFileSync(join(packageRoot, SCHEMA_FILE), 'utf8')).toBe(recipeJsonSchemaText());
  });

  it('leaves defaulted fields optional and lists enum values for editors', () => {
    const schema = JSON.parse(recipeJsonSchemaText());
    expect(schema.required).toBeUndefined();
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.router.properties.train.properties.device.enum).toEqual(['cpu', 'cuda']);
    expect(schema.properties.experts.properties.sizes.default).toEqual([0.125, 0.25, 0.5, 0.75, 1]);
  });
});
