// The shipped code's import graph: no circles (a module that imports itself through others is
// one module in two files), nothing outside a backend's folder imports its SDK client (App Mesh,
// VPC Lattice), a backend's reference and schema import no SDK, and the CLI imports nothing from
// local/ (the local AWS and its devDependencies are not shipped).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { root } from '../support/fixtures.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm;

/** Every module's imports: project files as paths relative to the root, packages as their names. */
export function importGraph(dirs: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of dirs.flatMap((d) => files(join(root, d)))) {
    const source = readFileSync(file, 'utf8');
    const deps = [...source.matchAll(IMPORT)].map((m) => m[1] ?? m[2]).map((spec) =>
      (spec.startsWith('.') ? relative(root, resolve(dirname(file), spec)) : spec));
    graph.set(relative(root, file), deps);
  }
  return graph;
}

/** The first import circle found, as the modules around it, or undefined. */
export function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const dep of graph.get(node) ?? []) {
      const found = graph.has(dep) ? visit(dep) : undefined;
      if (found) return found;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}

const shipped = importGraph(['functions', 'cli']);

test('the functions and the CLI import each other in no circle', () => {
  expect(findCycle(shipped)).toBeUndefined();
});

test('the circle finder finds a circle (so the test above can fail)', () => {
  const graph = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts', 'zod']], ['c.ts', ['a.ts']], ['d.ts', []]]);
  expect(findCycle(graph)).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
  expect(findCycle(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toBeUndefined();
});

test('only the App Mesh router folder and its client module import the App Mesh SDK', () => {
  const importers = [...shipped].filter(([, deps]) => deps.includes('@aws-sdk/client-app-mesh')).map(([file]) => file).sort();
  expect(importers.length).toBeGreaterThan(0);
  for (const file of importers) expect(file).toMatch(/^functions\/commons\/(routers\/appmesh\/|clients\/appmesh\.ts$)/);
});

test('only the VPC Lattice router folder and its client module import the VPC Lattice SDK', () => {
  const importers = [...shipped].filter(([, deps]) => deps.includes('@aws-sdk/client-vpc-lattice')).map(([file]) => file).sort();
  expect(importers.length).toBeGreaterThan(0);
  for (const file of importers) expect(file).toMatch(/^functions\/commons\/(routers\/lattice\/|clients\/lattice\.ts$)/);
});

test('the pure parts of each backend (its reference and schema) import no AWS SDK', () => {
  const pure = [...shipped].filter(([file]) => /^functions\/commons\/routers\/[^/]+\/(reference|schema)\.ts$/.test(file));
  expect(pure.map(([file]) => file)).toEqual(expect.arrayContaining(['functions/commons/routers/lattice/reference.ts', 'functions/commons/routers/lattice/schema.ts']));
  for (const [file, deps] of pure) expect([file, deps.filter((d) => d.startsWith('@aws-sdk/'))]).toEqual([file, []]);
});

test('the CLI imports nothing from local/', () => {
  const fromLocal = [...shipped].filter(([file]) => file.startsWith('cli/')).flatMap(([file, deps]) => deps.filter((d) => d.startsWith('local/')).map((d) => `${file} → ${d}`));
  expect(fromLocal).toEqual([]);
});
