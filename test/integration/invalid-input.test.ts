// Invalid input ends the execution FAILED with InvalidInput, a message naming the field, and
// the route untouched: a sample of every kind of malformed input from the corpus, on the
// machine each one was written for.
import { malformedInputs } from '../support/corpus.ts';
import { demoMesh, finished, routeNow, start } from '../support/executions.ts';

const corpus = malformedInputs();
// Every kind: the first case of each label family ("route.meshName = ...", "no route", ...).
const kinds = [...new Map(corpus.map((c) => [c.label.replace(/ = .*$/, '').replace(/^(linear|step-then-all|manual-approval) /, ''), c])).values()];

test('the sample covers at least ten kinds', () => {
  expect(kinds.length).toBeGreaterThanOrEqual(10);
});

test.each(kinds.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
  const mesh = await demoMesh('bad');
  const before = await routeNow(mesh.route);
  // Aim each input at the test's own mesh when it has a route to aim (so "unchanged" means something).
  const input = c.input && typeof c.input === 'object' && !Array.isArray(c.input) && (c.input as any).route?.meshName === 'demomesh'
    ? { ...(c.input as any), route: { ...(c.input as any).route, meshName: mesh.route.meshName } }
    : c.input;
  const machine = c.machine ?? ((c.input as any)?.strategy?.type in { linear: 1, 'step-then-all': 1, 'manual-approval': 1 } ? (c.input as any).strategy.type : 'linear');
  const end = await finished(await start(machine, input));
  expect(end.status).toBe('FAILED');
  expect(end.error).toBe('InvalidInput');
  expect(JSON.parse(end.cause!).errorMessage).toContain(c.field);
  const after = await routeNow(mesh.route);
  expect(after.metadata!.version).toBe(before.metadata!.version);
  expect(after.spec).toEqual(before.spec);
});
