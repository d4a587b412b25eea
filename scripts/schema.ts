// Writes schema/deployment-input.schema.json, the JSON Schema users' editors read, from the zod
// schema the prepare step validates with (executionInput in functions/commons/input.ts) and the
// titles, descriptions and JSON Schema words kept beside it (jsonSchemaDocs). `npm run schema`
// after changing either; a unit test regenerates the file and fails when the committed one differs.
//   npm run schema [-- --check]
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod/mini';
import { executionInput, jsonSchemaDocs } from '../functions/commons/input.ts';
import { integers } from '../functions/commons/validate.ts';

// __dirname when a Jest test loads this file as CommonJS; import.meta when Node runs it.
export const schemaPath = join(resolve(typeof __dirname === 'string' ? __dirname : import.meta.dirname, '..'), 'schema', 'deployment-input.schema.json');

type Schema = z.core.$ZodType;
const defOf = (s: Schema) => s._zod.def as unknown as Record<string, any>;
const unwrap = (s: Schema): Schema => (defOf(s).type === 'optional' ? unwrap(defOf(s).innerType) : s);

/** Every schema in the tree with the field paths it is found at ("a.b", "list[]", "strategy(linear)"). */
function fieldsOf(root: Schema): Map<Schema, string[]> {
  const found = new Map<Schema, string[]>();
  const visit = (s: Schema, path: string) => {
    found.set(s, [...(found.get(s) ?? []), path]);
    const def = defOf(s);
    const join = (name: string) => (path ? `${path}.${name}` : name);
    if (def.type === 'optional') visit(def.innerType, `${path}?`);
    if (def.type === 'object') for (const [k, v] of Object.entries(def.shape)) visit(v as Schema, join(k));
    if (def.type === 'array') visit(def.element, `${path}[]`);
    if (def.type === 'record') visit(def.valueType, `${path}{}`);
    if (def.type === 'union' && def.discriminator) {
      for (const o of def.options) visit(o, `${path}(${defOf(defOf(o).shape[def.discriminator]).values[0]})`);
    } else if (def.type === 'union') def.options.forEach((o: Schema, i: number) => visit(o, `${path}|${i}`));
  };
  visit(root, '');
  return found;
}

/** jsonSchemaDocs as a zod metadata registry: each entry on the one schema its path names. */
export function docsRegistry(root: Schema, docs: Record<string, Record<string, unknown>>) {
  const fields = fieldsOf(root);
  const at = new Map<string, Schema>();
  // An optional field's wrapper comes before what it wraps: the first schema at a path is the field.
  for (const [schema, paths] of fields) for (const p of paths) if (!at.has(p.replace(/\?/g, ''))) at.set(p.replace(/\?/g, ''), schema);
  const registry = z.registry<Record<string, unknown>>();
  for (const [path, meta] of Object.entries(docs)) {
    const schema = at.get(path);
    if (!schema) throw new Error(`jsonSchemaDocs: "${path}" names no field of the deployment input`);
    // A description of a schema found at several paths would describe all of them; a shared $def is meant to be.
    const where = fields.get(schema)!;
    // A release's route fields ("routes[].route") are the one-route input's ("route"), and meant to read the same.
    const fieldsNamed = new Set(where.map((p) => p.replace(/\?/g, '').replace(/^routes\[\]\./, '')));
    if (!('id' in meta) && fieldsNamed.size > 1) throw new Error(`jsonSchemaDocs: "${path}" is one schema with ${where.join(', ')}: give the field its own copy (.check())`);
    registry.add(schema, meta);
  }
  return registry;
}

/** The JSON Schema (draft 2020-12) of a state machine's input, as the committed file holds it. */
export function deploymentInputSchemaText(): string {
  const { $schema, title, description, ...rest } = z.toJSONSchema(executionInput, {
    target: 'draft-2020-12',
    metadata: docsRegistry(executionInput, jsonSchemaDocs),
    override: (ctx) => {
      if (integers.has(ctx.zodSchema)) ctx.jsonSchema.type = 'integer';
    },
  });
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
