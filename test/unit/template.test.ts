// template.yaml is what users deploy: it must lint clean, and its wiring and policies must
// match what the functions do.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { root } from '../support/fixtures.ts';

// A tag-tolerant parse: each !Tag value becomes {"!Tag": value}, enough to inspect the structure.
const tags = ['Ref', 'Sub', 'GetAtt', 'Join', 'Split', 'If', 'Equals', 'Select', 'Not', 'And', 'Or', 'FindInMap', 'Condition'].flatMap((n) =>
  (['scalar', 'seq', 'map'] as const).map((kind) => ({
    tag: `!${n}`, ...(kind === 'scalar' ? {} : { collection: kind }),
    resolve: (v: any) => ({ [`!${n}`]: kind === 'scalar' ? v : v.toJSON() }),
  })));
const template = parse(readFileSync(join(root, 'template.yaml'), 'utf8'), { customTags: tags as any });
const functions = Object.entries<any>(template.Resources).filter(([, r]) => r.Type === 'AWS::Serverless::Function');

test('cfn-lint reports nothing (errors, warnings or informational)', () => {
  let out = '';
  try {
    out = execFileSync('cfn-lint', ['--format', 'parseable', join(root, 'template.yaml')], { encoding: 'utf8' });
  } catch (err: any) {
    if (err.code === 'ENOENT') throw new Error('cfn-lint is not installed: python3 -m pip install "cfn-lint==1.51.*"');
    out = `${err.stdout}${err.stderr}`;
  }
  expect(out.trim()).toBe('');
});

test('the five functions exist, each built with esbuild from its own entry point on nodejs24.x', () => {
  expect(functions.map(([id]) => id).sort()).toEqual(['CheckHealthFunction', 'PrepareFunction', 'PromoteFunction', 'RollbackFunction', 'SetWeightFunction']);
  expect(template.Globals.Function.Runtime).toBe('nodejs24.x');
  for (const [id, fn] of functions) {
    expect(fn.Metadata.BuildMethod).toBe('esbuild');
    const entry = fn.Metadata.BuildProperties.EntryPoints;
    expect(entry).toHaveLength(1);
    expect(readFileSync(join(root, entry[0]), 'utf8')).toContain('export const handler');
    expect(fn.Properties.LoggingConfig.LogGroup).toEqual({ '!Ref': id.replace(/Function$/, 'LogGroup') });
  }
});

test('every log group has a retention', () => {
  const groups = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::Logs::LogGroup');
  expect(groups).toHaveLength(functions.length);
  for (const g of groups) expect(g.Properties.RetentionInDays).toBeDefined();
});

describe('least privilege', () => {
  const statements = (fn: any) => fn.Properties.Policies.flatMap((p: any) => p.Statement ?? []);
  const expected: Record<string, string[]> = {
    PrepareFunction: ['appmesh:DescribeRoute', 'appmesh:DescribeVirtualNode'],
    SetWeightFunction: ['appmesh:DescribeRoute', 'appmesh:UpdateRoute'],
    PromoteFunction: ['appmesh:DescribeRoute', 'appmesh:UpdateRoute'],
    RollbackFunction: ['appmesh:DescribeRoute', 'appmesh:UpdateRoute'],
    CheckHealthFunction: ['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData'],
  };

  test.each(functions)('%s: only the actions it uses, App Mesh scoped to the MeshArns parameter', (id, fn) => {
    expect(fn.Properties.Policies.every((p: any) => typeof p === 'object' && p.Statement)).toBe(true); // no managed policies
    const s = statements(fn);
    expect(s.flatMap((x: any) => x.Action).sort()).toEqual(expected[id]);
    for (const st of s) {
      expect(st.Effect).toBe('Allow');
      if (st.Action.some((a: string) => a.startsWith('appmesh:'))) {
        expect(st.Resource).not.toBe('*');
        expect(JSON.stringify(st.Resource)).toContain('"!Ref":"MeshArns"');
      }
    }
  });

  test('no FullAccess policy anywhere', () => {
    expect(readFileSync(join(root, 'template.yaml'), 'utf8')).not.toMatch(/FullAccess/);
  });
});
