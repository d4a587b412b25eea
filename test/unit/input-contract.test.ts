// The input contract: the zod schema the prepare step validates with (functions/commons/input.ts)
// and schema/deployment-input.schema.json, generated from it for users and editors, agree on
// every valid example and every malformed one; the committed file is what the generator writes.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { DEFAULT_CHECK_INTERVAL, parseDeploymentInput, strategy, strategyTypes } from '../../functions/commons/input.ts';
import { deploymentInputSchemaText, schemaPath } from '../../scripts/schema.ts';
import { malformedInputs, validInputs } from '../support/corpus.ts';

const committed = readFileSync(schemaPath, 'utf8');
const schema = JSON.parse(committed);
const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(schema);
const corpus = malformedInputs();
const machineOf = (c: { machine?: string; input: any }) => (c.machine ?? c.input?.strategy?.type ?? 'linear') as any;

test('schema/deployment-input.schema.json is what `npm run schema` generates from the zod schema', () => {
  expect(committed).toBe(deploymentInputSchemaText());
});

test('the strategy types listed are exactly those the schema knows, and the JSON Schema offers each by name', () => {
  expect(strategy.def.options.map((o) => o.def.shape.type.def.values[0])).toEqual([...strategyTypes]);
  expect(schema.properties.strategy.oneOf.map((o: { title: string }) => o.title)).toEqual([...strategyTypes]);
});

test('the JSON Schema states the default check interval the code applies', () => {
  const withInterval = schema.properties.strategy.oneOf.filter((o: any) => o.properties.checkIntervalSeconds);
  expect(withInterval.map((o: any) => o.title)).toEqual(['step-then-all', 'manual-approval']);
  for (const s of withInterval) expect(s.properties.checkIntervalSeconds.description).toContain(`(default ${DEFAULT_CHECK_INTERVAL})`);
});

test('the corpus has at least 200 malformed inputs', () => {
  expect(corpus.length).toBeGreaterThanOrEqual(200);
});

test.each(Object.entries(validInputs))('events/execution-%s.json is valid for both', (machine, input) => {
  expect(parseDeploymentInput(input, machine as any)).toEqual(input);
  expect(validate(input)).toBe(true);
});

test.each(corpus.map((c) => [c.label, c] as const))('%s: InvalidInput naming the field', (_label, c) => {
  let err: any;
  try {
    parseDeploymentInput(c.input, machineOf(c));
  } catch (e) {
    err = e;
  }
  expect(err?.name).toBe('InvalidInput');
  expect(err.message).toContain(c.field);
  expect(validate(c.input)).toBe(!c.schemaCanTell);
});
