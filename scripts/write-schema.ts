/** `npm run schema`: regenerates schema/recipe.schema.json from the zod schema (a test fails when it is stale). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/recipe/default.js';
import { recipeJsonSchemaText, SCHEMA_FILE } from '../src/recipe/json-schema.js';

writeFileSync(join(packageRoot, SCHEMA_FILE), recipeJsonSchemaText());
console.log(`wrote ${SCHEMA_FILE}`);
