/** The recipe's JSON Schema for editors (yaml-language-server), as committed in schema/recipe.schema.json. */
import { z } from 'zod';
import { recipeSchema } from './schema.js';

export const SCHEMA_FILE = 'schema/recipe.schema.json';

/** Input mode: defaulted fields stay optional, so editors do not demand them. */
export function recipeJsonSchemaText(): string {
  const schema = z.toJSONSchema(recipeSchema, { io: 'input' });
  return `${JSON.stringify({ ...schema, title: 'moefy recipe' }, null, 2)}\n`;
}
