// The report: one self-contained SVG picture of a deployment, built from its execution history.
// Canary share over time as a step line, a dot per health verdict (with the reasons as a
// tooltip), the approval wait shaded, markers for the answer, promotion, rollback or abort, and
// a table of the steps. Pure: no AWS, no clock (the caller passes `now` for a running execution).
import { readableCause } from './execution.ts';
import { type DeploymentEvent } from './follow.ts';
import { isMultiRoute, releasesOf } from './release.ts';
import { canaryShare, divergences, divergenceText, watchView, type Divergence, type ExecutionState, type VerdictEvent } from './view.ts';
import { duration, targetsText } from './render.ts';
import { stopErrors } from '../functions/commons/states.ts';

const W = 980;
const LEFT = 70;
const RIGHT = 40;
const PLOT_W = W - LEFT - RIGHT;
const PLOT_H = 250;
const LANE_H = 18;
/** Where the marker labels start, under the title block. */
const LANES_TOP = 100;
const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"`;

const colour = {
  text: '#1f2937', muted: '#6b7280', grid: '#e5e7eb', axis: '#9ca3af',
  canary: '#2563eb', canaryFill: '#dbeafe',
  pass: '#16a34a', fail: '#dc2626', inconclusive: '#9ca3af',
  approval: '#fde68a', settle: '#e5e7eb', promoted: '#16a34a', rollback: '#dc2626', aborted: '#ea580c', timeout: '#6b7280',
  diverged: '#9333ea',
};

/** Text for SVG/XML: the five special characters escaped. */
export const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
/** Rough width of text in the report's sans-serif font (wide enough for DejaVu Sans); bold runs wider. */
const textWidth = (s: string, size: number, bold = false) => s.length * size * (bold ? 0.7 : 0.6);

export interface Stage {
  /** 1-based; 0 is the baseline verdict before any change. */
  index: number;
  weight: number;
  from: Date;
  to: Date;
  verdicts: VerdictEvent[];
  /** What ended the stage: "shifted to 50%", "promoted", "rolled back", ... */
  then: string;
}

interface Marker {
  at: Date;
  label: string;
  colour: string;
  tooltip: string;
  dashed: boolean;
}

/** The deployment cut into the weights it held: baseline, each step, and what ended each. */
export function stages(events: DeploymentEvent[], start: Date, end: Date, endLabel: string): Stage[] {
  const out: Stage[] = [];
  let current: Stage = { index: 0, weight: 0, from: start, to: end, verdicts: [], then: endLabel };
  const close = (at: Date, then: string) => {
    current.to = at;
    current.then = then;
    out.push(current);
  };
  for (const e of events) {
    if (e.kind === 'verdict') current.verdicts.push(e);
    if (e.kind === 'shift') {
      close(e.at, `shifted to ${e.weight}%`);
      current = { index: current.index + 1, weight: e.weight, from: e.at, to: end, verdicts: [], then: endLabel };
    }
    if (e.kind === 'approval') current.then = e.answer === 'approved' ? `approved${e.by ? ` by ${e.by}` : ''}` : e.answer === 'rejected' ? 'rejected' : 'approval timed out';
    // With several routes, the table names what happened to the release; the routes' table has the targets.
    if (e.kind === 'promoted') {
      close(e.at, `${current.then.startsWith('approved') ? `${current.then}, ` : ''}promoted: ${e.routes ? `all ${e.routes.length} routes` : targetsText(e.weightedTargets)}`);
      return out;
    }
    if (e.kind === 'rolled-back') {
      close(e.at, `${/^(rejected|approval timed out)/.test(current.then) ? `${current.then}, ` : ''}rolled back to ${e.routes ? `the snapshots of all ${e.routes.length} routes` : targetsText(e.weightedTargets)}`);
      return out;
    }
    if (e.kind === 'halted') {
      close(e.at, `halted, weights changed by hand: ${e.routes ? (e.failure?.route ? `on ${e.failure.route}; every route left as it is` : 'every route left as it is') : targetsText(e.weightedTargets)}`);
      return out;
    }
  }
  current.to = end;
  out.push(current);
  return out;
}

function niceStep(spanSeconds: number): number {
  for (const s of [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]) {
    if (spanSeconds / s <= 10) return s;
  }
  return 86400 * Math.ceil(spanSeconds / 86400 / 10);
}

function tickLabel(s: number): string {
  if (s === 0) return '0';
  if (s < 60) return `${Number.isInteger(s) ? s : s < 1 ? s.toFixed(2).replace(/0$/, '') : s.toFixed(1)}s`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s / 60}m`;
  return s % 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}` : `${s / 3600}h`;
}

/** Splits text into lines of at most `width` characters, at spaces where possible. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = '';
    }
    line = line ? `${line} ${word}` : word;
    while (line.length > width) {
      lines.push(line.slice(0, width));
      line = line.slice(width);
    }
  }
  if (line) lines.push(line);
  return lines;
}

const verdictColour = (v: string) => (v === 'pass' ? colour.pass : v === 'fail' ? colour.fail : colour.inconclusive);

/** "product-v15-vn on demomesh/product-vr/product-r"; several routes: "2 routes: product-v2-vn, customer-v2-vn". */
export function reportTitle(v: { canary?: string; route?: string; routes?: readonly { canary?: string }[] }): string {
  if (v.routes) return `${v.routes.length} routes: ${v.routes.map((r) => r.canary ?? '?').join(', ')}`;
  return `${v.canary ?? '?'} on ${v.route ?? '?'}`;
}

/** Each route's targets, for tooltips. */
const routeLines = (routes: readonly { label: string; targets: readonly { id: string; weight: number }[] }[]) => routes.map((r) => `${r.label}: ${targetsText(r.targets)}`).join('; ');

/** The share all routes have, or `otherwise` when they differ. */
function sharedShare(routes: readonly { label: string; targets: { id: string; weight: number }[] }[], releases: readonly { label: string; stable?: string; canary?: string }[], otherwise: number): number {
  const shares = new Set(routes.map((r) => canaryShare(r.targets, releases.find((x) => x.label === r.label) ?? {})));
  return shares.size === 1 ? [...shares][0] : otherwise;
}

/** The SVG picture of a deployment. */
export function renderReport(state: ExecutionState, now: Date = new Date()): string {
  const v = watchView(state, now);
  const events = v.events;
  const start = v.startedAt;
  const end = new Date(start.getTime() + Math.max(v.elapsedMs, 100));
  const span = end.getTime() - start.getTime();
  const x = (t: Date) => LEFT + ((t.getTime() - start.getTime()) / span) * PLOT_W;
  const rel = (t: Date) => `+${duration(t.getTime() - start.getTime())}`;
  const outcome = v.outcome;
  const outcomeLabel = outcome ? outcome.kind : 'running';
  const outcomeColour = !outcome ? colour.canary : outcome.kind === 'promoted' ? colour.promoted
    : outcome.kind === 'rolled back' || outcome.kind === 'aborted' || outcome.kind === 'halted' ? colour.aborted : colour.fail;

  // ---- markers: the moments that matter, labelled above the chart
  const markers: Marker[] = [];
  const lastFail = () => v.verdicts.findLast((x) => x.verdict !== 'pass');
  for (const e of events) {
    if (e.kind === 'approval') {
      const c = e.answer === 'approved' ? colour.promoted : e.answer === 'rejected' ? colour.rollback : colour.timeout;
      const label = e.answer === 'approved' ? `approved${e.by ? ` by ${e.by}` : ''}` : e.answer === 'rejected' ? `rejected${e.reason ? `: ${e.reason}` : ''}` : 'approval timed out';
      markers.push({ at: e.at, label: clip(label, 48), colour: c, tooltip: `${rel(e.at)} ${label}`, dashed: true });
    }
    if (e.kind === 'promoted') markers.push({ at: e.at, label: 'promoted', colour: colour.promoted, tooltip: `${rel(e.at)} promoted: ${e.routes ? routeLines(e.routes) : targetsText(e.weightedTargets)}`, dashed: false });
    if (e.kind === 'halted') {
      const on = e.failure?.route ? ` on ${e.failure.route}` : '';
      markers.push({ at: e.at, label: clip(`halted: weights changed by hand${on}`, 60), colour: colour.aborted, tooltip: `${rel(e.at)} ${e.summary}`, dashed: false });
    }
    if (e.kind === 'rolled-back') {
      // With several routes, a step that failed on one route (drift, a refused write) names it.
      const why = lastFail()?.reasons[0] ?? (e.failure?.route ? `${e.failure.error} on ${e.failure.route}` : undefined);
      markers.push({ at: e.at, label: clip(`rolled back${why ? `: ${why}` : ''}`, 60), colour: colour.rollback, tooltip: `${rel(e.at)} ${e.summary}`, dashed: false });
    }
  }
  const endEvent = events.findLast((e): e is Extract<DeploymentEvent, { kind: 'ended' }> => e.kind === 'ended');
  if (state.description.status === 'ABORTED' && state.description.error === stopErrors.AlarmFired) {
    // The alarm path: a rollback, marked with its alarm (the cause: "alarm X went to ALARM at ...").
    const at = state.description.stopDate ?? endEvent?.at ?? end;
    const after = state.routeAfter ? (state.routeAfter.restored ? ', route restored' : ', route NOT restored') : '';
    const alarm = state.description.cause ?? 'an alarm went to ALARM';
    markers.push({ at, label: clip(`rolled back: ${alarm.replace(/ at \S+:.*$/, '')}${after}`, 60), colour: colour.rollback, tooltip: `${rel(at)} rolled back by the alarm path: ${alarm}${after}`, dashed: false });
  } else if (state.description.status === 'ABORTED') {
    const at = state.description.stopDate ?? endEvent?.at ?? end;
    const after = state.routeAfter ? (state.routeAfter.restored ? ', route restored' : ', route NOT restored') : '';
    markers.push({ at, label: `aborted${after}`, colour: colour.aborted, tooltip: `${rel(at)} aborted${endEvent?.cause ? `: ${endEvent.cause}` : ''}${after}`, dashed: false });
  } else if (outcome && (outcome.kind === 'failed' || outcome.kind === 'rollback failed' || outcome.kind === 'timed out')) {
    const at = state.description.stopDate ?? end;
    markers.push({ at, label: clip(outcome.kind === 'rollback failed' ? 'ROLLBACK FAILED' : `${outcome.kind}: ${state.description.error ?? ''}`, 60), colour: colour.fail, tooltip: `${rel(at)} ${outcome.summary}`, dashed: false });
  }

  // Several routes: a marker where any route's share was not the release's (one per moment, each route in its tooltip).
  const started = events.find((e): e is Extract<DeploymentEvent, { kind: 'started' }> => e.kind === 'started');
  const releases = isMultiRoute(started?.input) ? releasesOf(started.input) : undefined;
  const diverged = releases ? divergences(events, releases, state.routeAfter) : [];
  const moments = new Map<Date, Divergence[]>();
  for (const x of diverged) moments.set(x.at, [...(moments.get(x.at) ?? []), x]);
  for (const [at, xs] of moments) {
    // The shares first: a Lattice label alone can fill the lane.
    const label = xs.length === 1 ? `${xs[0].share}% (not ${xs[0].expected}%) on ${xs[0].label}` : `${xs.length} routes off the release's share`;
    markers.push({ at, label: clip(label, 60), colour: colour.diverged, tooltip: `${rel(at)} ${xs.map((x) => `${x.label}: ${divergenceText(x)}`).join('; ')}`, dashed: true });
  }

  // Greedy lanes so that labels never overlap.
  const laneEnds: number[] = [];
  const placed = markers.map((m) => {
    const mx = x(m.at);
    const width = textWidth(m.label, 12, true) + 8;
    const anchorEnd = mx + width > LEFT + PLOT_W;
    const left = anchorEnd ? mx - width : mx;
    let lane = laneEnds.findIndex((e) => e < left);
    if (lane < 0) lane = laneEnds.push(0) - 1;
    laneEnds[lane] = left + width;
    return { ...m, mx, lane, anchorEnd };
  });
  const lanes = Math.max(1, laneEnds.length);
  const top = LANES_TOP + lanes * LANE_H + 14;
  const bottom = top + PLOT_H;
  const y = (w: number) => bottom - (w / 100) * PLOT_H;

  const parts: string[] = [];
  const add = (s: string) => parts.push(s);

  // ---- title
  const title = reportTitle(v);
  add(`<text x="${LEFT - 46}" y="34" font-size="20" font-weight="700" fill="${colour.text}">${esc(v.routes ? clip(title, 80) : title)}</text>`);
  const subtitle = v.routes ? `${v.routes.map((r) => r.label).join(', ')} · ${v.strategyText}` : `${v.stable ?? '?'} → ${v.canary ?? '?'} · ${v.strategyText}`;
  add(`<text x="${LEFT - 46}" y="58" font-size="13" fill="${colour.muted}">${esc(v.routes ? clip(subtitle, 140) : subtitle)}${v.routes ? `<title>${esc(subtitle)}</title>` : ''}</text>`);
  const badge = outcomeLabel.toUpperCase();
  const badgeW = textWidth(badge, 12, true) + 22;
  add(`<rect x="${LEFT - 46}" y="68" width="${badgeW}" height="20" rx="4" fill="${outcomeColour}"/>`);
  add(`<text x="${LEFT - 46 + 8}" y="82" font-size="12" font-weight="700" fill="#ffffff">${esc(badge)}</text>`);
  const startText = start.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  add(`<text x="${LEFT - 46 + badgeW + 10}" y="82" font-size="13" fill="${colour.text}">${esc(`${duration(v.elapsedMs)} · execution ${v.name} · started ${startText}`)}</text>`);

  // ---- approval wait: shaded band
  const asked = events.filter((e) => e.kind === 'awaiting-approval');
  for (const a of asked) {
    const answered = events.find((e) => (e.kind === 'approval' || e.kind === 'rolled-back' || e.kind === 'promoted') && e.at >= a.at);
    const until = answered?.at ?? (outcome ? end : end);
    const bx = x(a.at);
    const bw = Math.max(2, x(until) - bx);
    add(`<rect x="${bx.toFixed(1)}" y="${top}" width="${bw.toFixed(1)}" height="${PLOT_H}" fill="${colour.approval}" fill-opacity="0.55"><title>${esc(`${rel(a.at)} to ${rel(until)}: waiting for approval (${duration(until.getTime() - a.at.getTime())})`)}</title></rect>`);
    if (bw > 130) add(`<text x="${(bx + 6).toFixed(1)}" y="${top + 16}" font-size="12" fill="#92400e">waiting for approval</text>`);
  }

  // ---- settle time after each shift: a grey band, no verdict counts inside it
  const settleBands: { from: Date; until: Date }[] = [];
  if (v.settle.seconds > 0) {
    for (const e of events) {
      if (e.kind !== 'shift') continue;
      const until = new Date(Math.min(e.at.getTime() + v.settle.seconds * 1000, end.getTime()));
      settleBands.push({ from: e.at, until });
      const bx = x(e.at);
      const bw = Math.max(2, x(until) - bx);
      add(`<rect x="${bx.toFixed(1)}" y="${top}" width="${bw.toFixed(1)}" height="${PLOT_H}" fill="${colour.settle}" fill-opacity="0.6"><title>${esc(`${rel(e.at)} to ${rel(until)}: settling at ${e.weight}% (${v.settle.note}); the next verdict comes after`)}</title></rect>`);
    }
  }

  // ---- grid and axes
  for (const w of [0, 25, 50, 75, 100]) {
    add(`<line x1="${LEFT}" y1="${y(w)}" x2="${LEFT + PLOT_W}" y2="${y(w)}" stroke="${w === 0 ? colour.axis : colour.grid}" stroke-width="1"/>`);
    add(`<text x="${LEFT - 8}" y="${y(w) + 4}" font-size="11" text-anchor="end" fill="${colour.muted}">${w}%</text>`);
  }
  add(`<text x="18" y="${(top + bottom) / 2}" font-size="12" fill="${colour.muted}" text-anchor="middle" transform="rotate(-90 18 ${(top + bottom) / 2})">canary share</text>`);
  const step = niceStep(span / 1000);
  for (let s = 0; s <= span / 1000 + 1e-9; s += step) {
    const tx = LEFT + ((s * 1000) / span) * PLOT_W;
    add(`<line x1="${tx.toFixed(1)}" y1="${bottom}" x2="${tx.toFixed(1)}" y2="${bottom + 5}" stroke="${colour.axis}"/>`);
    add(`<text x="${tx.toFixed(1)}" y="${bottom + 18}" font-size="11" text-anchor="middle" fill="${colour.muted}">${tickLabel(Math.round(s * 100) / 100)}</text>`);
  }
  add(`<text x="${LEFT + PLOT_W}" y="${bottom + 34}" font-size="11" text-anchor="end" fill="${colour.muted}">time since the execution started</text>`);

  // ---- canary share: a step line with the area under it
  const points: [Date, number][] = [[start, 0]];
  for (const e of events) {
    if (e.kind === 'shift') points.push([e.at, e.weight]);
    if (e.kind === 'promoted') points.push([e.at, 100]);
    if (e.kind === 'rolled-back') points.push([e.at, 0]);
    // Several routes halted where people left them: one line where they all are, else where the release was.
    if (e.kind === 'halted') points.push([e.at, e.routes ? sharedShare(e.routes, releases ?? [], points.at(-1)![1]) : canaryShare(e.weightedTargets, v)]);
  }
  if (state.routeAfter) points.push([end, v.canaryWeight]);
  let d = `M${x(start).toFixed(1)},${y(0).toFixed(1)}`;
  for (const [t, w] of points.slice(1)) {
    d += ` H${x(t).toFixed(1)} V${y(w).toFixed(1)}`;
  }
  d += ` H${x(end).toFixed(1)}`;
  add(`<path d="${d} V${y(0).toFixed(1)} Z" fill="${colour.canaryFill}" fill-opacity="0.6" stroke="none"/>`);
  add(`<path d="${d}" fill="none" stroke="${colour.canary}" stroke-width="2.5" stroke-linejoin="round"/>`);

  // ---- steps: a label where each starts
  const abortLabel = state.routeAfter ? `aborted, route ${state.routeAfter.restored ? 'restored to its snapshot' : 'NOT at its snapshot'}` : 'aborted';
  const stageList = stages(events, start, end, !outcome ? 'still running' : outcome.kind === 'aborted' ? abortLabel : outcome.kind);
  for (const s of stageList.filter((s) => s.index > 0)) {
    add(`<g><title>${esc(`step ${s.index}: ${s.weight}% from ${rel(s.from)} for ${duration(s.to.getTime() - s.from.getTime())}; ${s.then}`)}</title>`
      + `<circle cx="${x(s.from).toFixed(1)}" cy="${y(s.weight).toFixed(1)}" r="3" fill="${colour.canary}"/>`
      + `<text x="${(x(s.from) + 5).toFixed(1)}" y="${(y(s.weight) - 7).toFixed(1)}" font-size="11" font-weight="700" fill="${colour.canary}">${s.weight}%</text></g>`);
  }

  // ---- markers: a vertical line from the label lane down through the chart
  for (const m of placed) {
    const ly = LANES_TOP + m.lane * LANE_H + 12;
    add(`<g><title>${esc(m.tooltip)}</title>`
      + `<line x1="${m.mx.toFixed(1)}" y1="${ly + 4}" x2="${m.mx.toFixed(1)}" y2="${bottom}" stroke="${m.colour}" stroke-width="1.5"${m.dashed ? ' stroke-dasharray="4 3"' : ''}/>`
      + `<text x="${(m.anchorEnd ? m.mx - 4 : m.mx + 4).toFixed(1)}" y="${ly}" font-size="12" font-weight="600" fill="${m.colour}"${m.anchorEnd ? ' text-anchor="end"' : ''}>${esc(m.label)}</text></g>`);
  }

  // ---- verdicts: dots on the line, reasons in the tooltip
  for (const vd of v.verdicts) {
    const hooks = Object.entries(vd.hooks ?? {}).map(([name, verdict]) => `${name} ${verdict}`).join(', ');
    const tip = `${rel(vd.at)} verdict ${vd.verdict} at ${vd.weight}% → ${vd.decision}${hooks ? ` (hooks: ${hooks})` : ''}${vd.reasons.length ? `: ${vd.reasons.join('; ')}` : ''}`;
    add(`<circle cx="${x(vd.at).toFixed(1)}" cy="${y(vd.weight).toFixed(1)}" r="5.5" fill="${verdictColour(vd.verdict)}" stroke="#ffffff" stroke-width="1.5"><title>${esc(tip)}</title></circle>`);
  }

  // ---- routes off the release's share: a diamond at the route's own share
  for (const dv of diverged) {
    const cx = x(dv.at);
    const cy = y(dv.share);
    add(`<path d="M${cx.toFixed(1)},${(cy - 6).toFixed(1)} l6,6 l-6,6 l-6,-6 Z" fill="${colour.diverged}" stroke="#ffffff" stroke-width="1"><title>${esc(`${rel(dv.at)} ${dv.label}: ${divergenceText(dv)}`)}</title></path>`);
  }

  // ---- legend
  const ly = bottom + 34;
  let lx = LEFT;
  const legend = (mark: string, label: string) => {
    add(`${mark.replace(/LX/g, String(lx))}<text x="${lx + 18}" y="${ly + 4}" font-size="11" fill="${colour.text}">${esc(label)}</text>`);
    lx += 18 + textWidth(label, 11) + 16;
  };
  legend(`<line x1="LX" y1="${ly}" x2="${lx + 13}" y2="${ly}" stroke="${colour.canary}" stroke-width="2.5"/>`, 'canary share');
  legend(`<circle cx="${lx + 6}" cy="${ly}" r="5" fill="${colour.pass}"/>`, 'pass');
  legend(`<circle cx="${lx + 6}" cy="${ly}" r="5" fill="${colour.fail}"/>`, 'fail');
  legend(`<circle cx="${lx + 6}" cy="${ly}" r="5" fill="${colour.inconclusive}"/>`, 'inconclusive');
  if (asked.length) legend(`<rect x="LX" y="${ly - 6}" width="13" height="12" fill="${colour.approval}"/>`, 'waiting for approval');
  if (settleBands.length) legend(`<rect x="LX" y="${ly - 6}" width="13" height="12" fill="${colour.settle}"/>`, `settling after a shift (${v.settle.note})`);
  if (diverged.length) legend(`<path d="MLX,${ly} l6,-6 l6,6 l-6,6 Z" fill="${colour.diverged}"/>`, 'a route off the release\'s share');

  // ---- the steps as a table
  let ty = ly + 36;
  const cols = [LEFT - 46, LEFT + 60, LEFT + 150, LEFT + 240, LEFT + 450];
  add(`<text x="${cols[0]}" y="${ty}" font-size="13" font-weight="700" fill="${colour.text}">Steps</text>`);
  ty += 20;
  const header = ['step', 'canary', 'from', 'held for', 'verdicts', 'then'];
  const headerCols = [cols[0], cols[1], cols[2], cols[3] - 20, cols[3] + 50, cols[4]];
  header.forEach((h, i) => add(`<text x="${headerCols[i]}" y="${ty}" font-size="11" font-weight="700" fill="${colour.muted}">${h}</text>`));
  add(`<line x1="${cols[0]}" y1="${ty + 6}" x2="${W - RIGHT}" y2="${ty + 6}" stroke="${colour.grid}"/>`);
  for (const s of stageList) {
    ty += 20;
    const counts = ['pass', 'fail', 'inconclusive'].map((k) => [k, s.verdicts.filter((x) => x.verdict === k).length] as const).filter(([, n]) => n > 0);
    const verdictText = counts.length ? counts.map(([k, n]) => `${n} ${k}`).join(', ') : 'none';
    const why = s.verdicts.find((x) => x.verdict !== 'pass')?.reasons[0];
    const cells = [s.index === 0 ? 'baseline' : String(s.index), `${s.weight}%`, rel(s.from), duration(s.to.getTime() - s.from.getTime()), verdictText, clip(s.then, 60)];
    const verdictsColour = counts.some(([k]) => k === 'fail') ? colour.fail : counts.some(([k]) => k === 'inconclusive') ? '#b45309' : colour.text;
    cells.forEach((c, i) => add(`<text x="${headerCols[i]}" y="${ty}" font-size="12" fill="${i === 4 ? verdictsColour : colour.text}">${esc(c)}</text>`));
    if (why) {
      ty += 16;
      add(`<text x="${headerCols[4]}" y="${ty}" font-size="11" fill="${colour.muted}">${esc(clip(why, 90))}</text>`);
    }
  }
  if (outcome && outcome.kind !== 'promoted') {
    const { error, cause } = state.description;
    const text = error ? `${error}${cause ? `: ${readableCause(cause)}` : ''}` : outcome.summary;
    ty += 8;
    for (const line of wrap(text, 140).slice(0, 6)) {
      ty += 17;
      add(`<text x="${cols[0]}" y="${ty}" font-size="12" fill="${colour.text}">${esc(line)}</text>`);
    }
  }
  if (v.routes) {
    // ---- the routes: each with its stable → canary and its targets at the end
    ty += 30;
    add(`<text x="${cols[0]}" y="${ty}" font-size="13" font-weight="700" fill="${colour.text}">Routes (${v.routes.length}, moved together)</text>`);
    // Two lines per route: its label, then stable → canary and its targets at the end (long Lattice IDs fit).
    for (const r of v.routes) {
      ty += 20;
      add(`<text x="${cols[0]}" y="${ty}" font-size="12" font-weight="600" fill="${colour.text}">${esc(clip(r.label, 120))}</text>`);
      ty += 16;
      const detail = `${r.stable ?? '?'} → ${r.canary ?? '?'} · at the end: ${r.targets ? targetsText(r.targets) : 'not read'}`;
      add(`<text x="${cols[0] + 12}" y="${ty}" font-size="11" fill="${colour.muted}">${esc(clip(detail, 135))}<title>${esc(detail)}</title></text>`);
      if (r.diverged) {
        ty += 16;
        add(`<text x="${cols[0] + 12}" y="${ty}" font-size="11" fill="${colour.diverged}">${esc(divergenceText(r.diverged))}</text>`);
      }
    }
  }
  const height = ty + 24;

  const desc = `${title}: ${outcomeLabel} after ${duration(v.elapsedMs)}; ${stageList.filter((s) => s.index > 0).map((s) => `${s.weight}%`).join(', ') || 'no shift'}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" role="img" ${FONT}>\n`
    + `<title>${esc(`mesh-canary: ${title}`)}</title>\n<desc>${esc(desc)}</desc>\n`
    + `<rect width="${W}" height="${height}" fill="#ffffff"/>\n${parts.join('\n')}\n</svg>\n`;
}

/** The SVG in a minimal HTML page (for a browser or a wiki). */
export function reportHtml(svg: string, title: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head>\n`
    + `<body style="margin:24px;background:#f9fafb">\n${svg}</body></html>\n`;
}
