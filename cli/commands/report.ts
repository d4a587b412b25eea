// mesh-canary report: writes the picture of a deployment (SVG, or SVG in a minimal HTML page).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { exitCodes, UsageError } from '../errors.ts';
import { fullHistory } from '../follow.ts';
import { renderReport, reportHtml, reportTitle } from '../report.ts';
import { watchView, type ExecutionState } from '../view.ts';
import { type Context, resolveExecution } from './context.ts';
import { routeAfterAbort } from './watch.ts';

export function reportFormat(out: string | undefined): 'svg' | 'html' {
  if (!out) throw new UsageError('--out FILE is required (.svg, or .html for the picture in a web page)');
  const ext = extname(out).toLowerCase();
  if (ext === '.svg') return 'svg';
  if (ext === '.html' || ext === '.htm') return 'html';
  throw new UsageError(`--out ${out}: the file name must end in .svg or .html`);
}

export async function report(ctx: Context, ref: string, options: { out?: string; stateMachineArn?: string }): Promise<number> {
  const format = reportFormat(options.out);
  const out = options.out!;
  const { arn, aws, description } = await resolveExecution(ctx, ref, options.stateMachineArn);
  const history = await fullHistory(aws.sfn(), arn);
  const state: ExecutionState = { description, history, routeAfter: await routeAfterAbort(aws, { description, history }) };
  const now = new Date();
  const svg = renderReport(state, now);
  const view = watchView(state, now);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, format === 'svg' ? svg : reportHtml(svg, `mesh-canary: ${view.routes ? reportTitle(view) : `${view.canary ?? '?'} on ${view.route}`}`));
  const steps = view.events.filter((e) => e.kind === 'shift').length;
  const outcome = view.outcome?.kind ?? 'running';
  if (ctx.json) ctx.result({ out, format, executionArn: arn, status: description.status, outcome, steps, verdicts: view.verdicts.length, ...(view.routes ? { routes: view.routes.map((r) => r.label) } : {}) });
  else ctx.say(`wrote ${out}: ${view.routes ? reportTitle(view) : `${view.canary ?? '?'} on ${view.route}`}, ${steps} step${steps === 1 ? '' : 's'}, ${view.verdicts.length} verdicts, ${outcome}`);
  return exitCodes.ok;
}
