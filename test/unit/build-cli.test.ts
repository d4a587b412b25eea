// scripts/build-cli.ts's rules: the build target follows package.json "engines", and a bundle
// that imports a package "dependencies" does not list (as the CLI once pulled yaml through
// local/template.ts) is refused with the package and the importing file named.
import { BuildFailed } from '../../scripts/build.ts';
import { checkDependencies, importedPackages, nodeTarget, packageOf } from '../../scripts/build-cli.ts';

test.each([['>=20', 'node20'], ['>= 22.18.0', 'node22'], ['>=v24', 'node24']])('engines %j → target %s', (engines, target) => {
  expect(nodeTarget(engines)).toBe(target);
});

test.each(['', '^20', '20.x', '>=20 <23'])('engines %j is refused: the target would be a guess', (engines) => {
  expect(() => nodeTarget(engines)).toThrow(BuildFailed);
  expect(() => nodeTarget(engines)).toThrow('package.json engines.node must read ">=MAJOR"');
});

test.each([
  ['@aws-sdk/client-sfn', '@aws-sdk/client-sfn'],
  ['@aws-sdk/client-sfn/dist-es/index.js', '@aws-sdk/client-sfn'],
  ['yaml', 'yaml'],
  ['yaml/util', 'yaml'],
  ['node:fs', undefined],
  ['fs/promises', undefined],
])('%s is package %s', (specifier, name) => {
  expect(packageOf(specifier)).toBe(name);
});

const metafile = {
  inputs: {
    'cli/aws.ts': { imports: [{ path: '@aws-sdk/client-sfn', external: true }, { path: 'cli/project.ts' }, { path: 'node:path', external: true }] },
    'local/template.ts': { imports: [{ path: 'yaml', external: true }] },
    'cli/stack.ts': { imports: [{ path: '@aws-sdk/client-cloudformation', external: true }] },
  },
};

test('the packages a bundle imports, each with the files that import it; Node built-ins and bundled files left out', () => {
  expect(importedPackages(metafile)).toEqual(new Map([
    ['@aws-sdk/client-sfn', ['cli/aws.ts']], ['yaml', ['local/template.ts']], ['@aws-sdk/client-cloudformation', ['cli/stack.ts']],
  ]));
});

test('a package missing from "dependencies" is refused, named with the file that imports it; all listed passes', () => {
  const packages = importedPackages(metafile);
  expect(() => checkDependencies(packages, ['@aws-sdk/client-sfn', '@aws-sdk/client-cloudformation'])).toThrow(
    'the CLI imports packages that package.json "dependencies" does not list, so an installed CLI would not start: yaml (from local/template.ts)');
  expect(() => checkDependencies(packages, ['@aws-sdk/client-sfn', '@aws-sdk/client-cloudformation', 'yaml'])).not.toThrow();
});
