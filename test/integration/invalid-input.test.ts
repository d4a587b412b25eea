// Every input of the malformed corpus (over 200: wrong types, out-of-range and non-integer
// numbers, missing or empty names, unknown strategies, huge numbers, nulls, unicode, extra
// fields) started as a real execution: each ends FAILED with InvalidInput naming the field, and
// the route is never written.
import { malformedInputs } from '../support/corpus.ts';
import { demoMesh, finished, routeNow, start } from '../support/executions.ts';

const corpus = malformedInputs();
let mesh: Awaited<ReturnType<typeof demoMesh>>;
let before: Awaited<ReturnType<typeof routeNow>>;

beforeAll(async () => {
  mesh = await demoMesh('corpus');
  before = await routeNow(mesh.route);
});

test('the corpus has at least 200 malformed inputs', () => {
  expect(corpus.length).toBeGreaterThanOrEqual(200);
});

// Aim every input that names a route at this test's mesh, so "never written" means something.
const aimed = (input: any) => (input && typeof input === 'object' && !Array.isArray(input) && input.route?.meshName === 'demomesh'
  ? { ...input, route: { ...input.route, meshName: mesh.route.meshName } } : input);
const machineOf = (c: (typeof corpus)[number]) => c.machine
  ?? (['linear', 'step-then-all', 'manual-approval'].includes((c.input as any)?.strategy?.type) ? (c.input as any).strategy.type : 'linear');

test.concurrent.each(corpus.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
  const end = await finished(await start(machineOf(c), aimed(c.input)));
  expect(end.status).toBe('FAILED');
  expect(end.error).toBe('InvalidInput');
  // The cause is the message a person reads (not the Lambda error's JSON with a stack trace).
  expect(end.cause).toContain(c.field);
  expect(end.cause).not.toMatch(/^\s*\{|"trace"/);
});

afterAll(async () => {
  // afterAll runs when every case above has ended.
  const after = await routeNow(mesh.route);
  expect(after.metadata!.version).toBe(before.metadata!.version);
  expect(after.spec).toEqual(before.spec);
});
