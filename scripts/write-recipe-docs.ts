/** `npm run schema` (second half): regenerates docs/recipe-reference.md from the recipe schema (a test fails when it is stale). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/recipe/default.js';
import { recipeReferenceText, REFERENCE_FILE } from '../src/recipe/reference-doc.js';

writeFileSync(join(packageRoot, REFERENCE_FILE), recipeReferenceText());
console.log(`wrote ${REFERENCE_FILE}`);
