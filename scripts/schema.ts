// Writes schema/deployment-input.schema.json, the JSON Schema users' editors read, from the zod
// schema the prepare step validates with (functions/commons/input.ts). `npm run schema` after
// changing the input; a unit test regenerates it and fails when the committed file differs.
//   npm run schema [-- --check]
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod/mini';
import { executionInput } from '../functions/commons/input.ts';

// __dirname when a Jest test loads this file as CommonJS; import.meta when Node runs it.
export const schemaPath = join(resolve(typeof __dirname === 'string' ? __dirname : import.meta.dirname, '..'), 'schema', 'deployment-input.schema.json');

/** The JSON Schema (draft 2020-12) of a state machine's input, as the committed file holds it. */
export function deploymentInputSchemaText(): string {
  const { $schema, title, description, ...rest } = z.toJSONSchema(executionInput, { target: 'draft-2020-12' });
  // What an editor shows first, first.
  return `${JSON.stringify({ $schema, $id: 'urn:mesh-canary:deployment-input:v1', title, description, ...rest }, null, 2)}\n`;
}

if (import.meta.main) {
  const text = deploymentInputSchemaText();
  if (process.argv.includes('--check')) {
    if (readFileSync(schemaPath, 'utf8') !== text) {
      console.error(`${schemaPath} is not what the zod schema generates: run npm run schema`);
      process.exit(1);
    }
  } else {
    writeFileSync(schemaPath, text);
    console.log(`wrote ${schemaPath} (${text.length} bytes)`);
  }
}
