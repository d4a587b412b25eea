// The input contract: the validator the prepare step runs, and schema/deployment-input.schema.json
// that users and editors see, agree on every valid example and every malformed one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseDeploymentInput } from '../../functions/commons/deployment.ts';
import { malformedInputs, validInputs } from '../support/corpus.ts';
import { root } from '../support/fixtures.ts';

const schema = JSON.parse(readFileSync(join(root, 'schema', 'deployment-input.schema.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(schema);
const corpus = malformedInputs();
const machineOf = (c: { machine?: string; input: any }) => (c.machine ?? c.input?.strategy?.type ?? 'linear') as any;

test('the corpus has at least 200 malformed inputs', () => {
  expect(corpus.length).toBeGreaterThanOrEqual(200);
});

test.each(Object.entries(validInputs))('events/execution-%s.json is valid for both', (machine, input) => {
  expect(() => parseDeploymentInput(input, machine as any)).not.toThrow();
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
