import { writeFileSync } from 'node:fs';
import { configJsonSchema } from './schema.js';

/** Writes configs/schema.json (npm run schema); a test keeps it in step with the zod schema. */
export function schemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\/dist\//, 'dist/'))) {
  writeFileSync(process.argv[2] ?? 'configs/schema.json', schemaText());
}
