// The AWS SDK clients are pinned to one release (client-app-mesh stops at 3.1048.0, App Mesh
// having ended, and client-vpc-lattice's newest release on npm is 3.1142.0: the two exceptions,
// each pinned exactly), and they must share one core: every @aws-sdk/* and @smithy/* package exactly
// once in node_modules and package-lock.json, and one copy of each in every function bundle.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../local/template.ts';
import { buildFunctions, type BuiltFunction } from '../../scripts/build.ts';
import { installedCopies, installedSharedPackages, lockfileCopies, metafileCopies } from '../../scripts/sdk-copies.ts';

const nodeModules = join(projectRoot, 'node_modules');

describe('in this project', () => {
  // Clients with no release at the project's SDK release: each is pinned to its newest one and
  // must still share the one core (the tests below).
  const behind: Record<string, string> = { '@aws-sdk/client-app-mesh': '3.1048.0', '@aws-sdk/client-vpc-lattice': '3.1142.0' };

  test('every AWS SDK client is pinned to one release, but client-app-mesh (no release after 3.1048.0) and client-vpc-lattice (none after 3.1142.0)', () => {
    const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
    const all = Object.entries<string>({ ...pkg.dependencies, ...pkg.devDependencies });
    for (const [name, version] of Object.entries(behind)) expect([name, all.find(([n]) => n === name)?.[1]]).toEqual([name, version]);
    const clients = all.filter(([name]) => name.startsWith('@aws-sdk/client-') && !(name in behind));
    expect(clients.length).toBeGreaterThan(5);
    expect([...new Set(clients.map(([, v]) => v))]).toHaveLength(1);
    expect(clients.every(([, v]) => /^\d+\.\d+\.\d+$/.test(v))).toBe(true); // exact pins, no ranges
  });

  test('every @aws-sdk/* and @smithy/* package is installed once, at the top of node_modules', () => {
    const installed = installedSharedPackages(nodeModules);
    expect(installed.length).toBeGreaterThan(20); // the clients and their core are there to be checked
    expect(installedCopies(installed)).toEqual({});
    const nested = installed.filter((p) => p.slice(nodeModules.length).includes('node_modules'));
    expect(nested).toEqual([]);
  });

  test('package-lock.json lists each once, none nested', () => {
    const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8'));
    expect(lockfileCopies(lock)).toEqual({});
    const keys = Object.keys(lock.packages).filter((k) => /node_modules\/(@aws-sdk|@smithy)\//.test(k));
    expect(keys.length).toBeGreaterThan(20);
    expect(keys.filter((k) => k.split('node_modules/').length > 2)).toEqual([]);
  });

  describe('in every function bundle', () => {
    let out: string;
    let built: BuiltFunction[];
    beforeAll(async () => {
      out = mkdtempSync(join(tmpdir(), 'sdk-copies-'));
      built = await buildFunctions(out);
    }, 120_000);
    afterAll(() => rmSync(out, { recursive: true, force: true }));

    test('inputs come from one path per @aws-sdk/@smithy package (esbuild metafile)', () => {
      expect(built.length).toBe(8);
      for (const b of built) {
        expect(Object.keys(b.metafile.inputs).some((i) => i.includes('node_modules/@smithy/'))).toBe(true);
        expect([b.logicalId, metafileCopies(b.metafile)]).toEqual([b.logicalId, {}]);
      }
    });
  });
});

describe('the checks find a second copy', () => {
  test('in package-lock.json', () => {
    const lock = { packages: {
      '': {}, 'node_modules/@smithy/core': {}, 'node_modules/@aws-sdk/client-app-mesh': {},
      'node_modules/@aws-sdk/client-app-mesh/node_modules/@smithy/core': {}, 'node_modules/@smithy/types': {},
    } };
    expect(lockfileCopies(lock)).toEqual({
      '@smithy/core': ['node_modules/@aws-sdk/client-app-mesh/node_modules/@smithy/core', 'node_modules/@smithy/core'],
    });
  });

  test('in a bundle\'s metafile', () => {
    const metafile = { inputs: {
      'functions/set-weight/index.ts': {},
      'node_modules/@aws-sdk/core/dist-es/index.js': {},
      'node_modules/@aws-sdk/core/dist-es/submodules/client/index.js': {},
      'node_modules/@aws-sdk/client-app-mesh/node_modules/@aws-sdk/core/dist-es/index.js': {},
      'node_modules/@smithy/types/dist-es/index.js': {},
    } };
    expect(metafileCopies(metafile)).toEqual({
      '@aws-sdk/core': ['node_modules/@aws-sdk/client-app-mesh/node_modules/@aws-sdk/core', 'node_modules/@aws-sdk/core'],
    });
  });

  test('in node_modules, however deep', () => {
    const tree = mkdtempSync(join(tmpdir(), 'sdk-copies-tree-'));
    const root = join(tree, 'node_modules');
    try {
      for (const dir of ['@smithy/core', '@aws-sdk/client-sfn/node_modules/@smithy/core', 'jest/node_modules/@smithy/types', '@smithy/types', 'yaml']) {
        mkdirSync(join(root, dir), { recursive: true });
      }
      const installed = installedSharedPackages(root);
      expect(installed.map((p) => p.slice(root.length + 1))).toEqual([
        '@aws-sdk/client-sfn', '@aws-sdk/client-sfn/node_modules/@smithy/core', '@smithy/core', '@smithy/types', 'jest/node_modules/@smithy/types',
      ]);
      expect(Object.keys(installedCopies(installed))).toEqual(['@smithy/core', '@smithy/types']);
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });
});
