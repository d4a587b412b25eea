// Terminal rendering shared by the commands: colours (only on a terminal, never with NO_COLOR),
// weight bars, aligned tables, durations, and a live region that redraws in place.
import { targetsText } from '../functions/commons/route-text.ts';
import type { Target } from '../functions/commons/weights.ts';

export interface Out {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  /** The terminal's height, when it is one: a frame redrawn in place must fit in it. */
  rows?: number;
}

export interface Style {
  /** True when output goes to a terminal: colours and redrawing in place are allowed. */
  live: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  magenta(s: string): string;
  cyan(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const plain = (s: string) => s;

export function styleFor(out: Out, env: Record<string, string | undefined> = process.env): Style {
  const live = Boolean(out.isTTY) && env.TERM !== 'dumb';
  const colour = live && env.NO_COLOR === undefined;
  if (!colour) {
    return { live, bold: plain, dim: plain, red: plain, green: plain, yellow: plain, blue: plain, magenta: plain, cyan: plain };
  }
  return {
    live, bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39),
    blue: sgr(34, 39), magenta: sgr(35, 39), cyan: sgr(36, 39),
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Visible width of a string (escape codes do not count). */
export const visibleLength = (s: string) => [...s.replace(ANSI, '')].length;

export const padEnd = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - visibleLength(s)));
export const padStart = (s: string, width: number) => ' '.repeat(Math.max(0, width - visibleLength(s))) + s;

/** Cuts a line to `width` visible characters, keeping escape codes (and resetting after a cut). */
export function truncate(s: string, width: number): string {
  if (visibleLength(s) <= width) return s;
  let out = '';
  let shown = 0;
  for (const part of s.split(/(\x1b\[[0-9;?]*[A-Za-z])/)) {
    if (part.startsWith('\x1b[')) {
      out += part;
      continue;
    }
    for (const ch of part) {
      if (shown >= width - 1) return `${out}…\x1b[0m`;
      out += ch;
      shown++;
    }
  }
  return out;
}

/** A bar of `width` cells filled in proportion to `fraction` (0-1). */
export function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/**
 * The route's weighted targets as rows of name, weight, share and bar, like the seed's
 * `watch aws appmesh describe-route` table, with the share each target gets. `word` heads the
 * name column: what the backend calls a target ("virtual node").
 */
export function weightTable(targets: readonly Target[], style: Style, options: { barWidth?: number; highlight?: string; word?: string; names?: Record<string, string> } = {}): string[] {
  const word = options.word ?? 'target';
  const total = targets.reduce((s, t) => s + t.weight, 0);
  // A target with a name (a Lattice target group) shows as "name (id)".
  const label = (t: Target) => (options.names?.[t.id] ? `${options.names[t.id]} (${t.id})` : t.id);
  const nameWidth = Math.max(word.length, ...targets.map((t) => label(t).length));
  const rows = [style.dim(`${padEnd(word, nameWidth)}  weight  share`)];
  for (const t of targets) {
    const share = total > 0 ? t.weight / total : 0;
    const paint = t.id === options.highlight ? style.yellow : style.blue;
    rows.push(`${padEnd(label(t), nameWidth)}  ${padStart(String(t.weight), 6)}  ${padStart(`${Math.round(share * 100)}%`, 5)}  ${paint(bar(share, options.barWidth ?? 30))}`);
  }
  return rows;
}

/** Columns padded to their widest cell. The first row is the header. */
export function table(rows: string[][], style: Style, indent = '  '): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => visibleLength(r[c] ?? ''))));
  return rows.map((r, i) => {
    const line = indent + r.map((cell, c) => (c === r.length - 1 ? cell : padEnd(cell, widths[c]))).join('  ');
    return i === 0 ? style.bold(line) : line;
  });
}

/** 0.4 s, 12 s, 4m 05s, 1h 02m. */
export function duration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}

export { targetsText };

/**
 * A block of lines at the bottom of a terminal that is redrawn in place, with permanent lines
 * (`log`) printed above it. Not on a terminal, `update` draws nothing and `log` just prints.
 */
export class LiveRegion {
  private readonly out: Out;
  private readonly live: boolean;
  private drawn = 0;
  private frame: string[] = [];
  private cursorHidden = false;

  constructor(out: Out, live: boolean) {
    this.out = out;
    this.live = live;
  }

  /** Replaces the block with these lines. */
  update(lines: string[]): void {
    if (!this.live) return;
    const width = Math.max(20, (this.out.columns ?? 100) - 1);
    // Lines longer than the terminal would wrap and break the count of lines to move up.
    this.frame = lines.map((l) => truncate(l, width));
    if (!this.cursorHidden) {
      this.out.write('\x1b[?25l');
      this.cursorHidden = true;
    }
    this.out.write(this.erase() + this.frame.map((l) => `${l}\x1b[K\n`).join(''));
    this.drawn = this.frame.length;
  }

  /** Prints a line above the block; the block stays below it. */
  log(line: string): void {
    if (!this.live) {
      this.out.write(`${line}\n`);
      return;
    }
    this.out.write(`${this.erase()}${line}\x1b[K\n${this.frame.map((l) => `${l}\x1b[K\n`).join('')}`);
    this.drawn = this.frame.length;
  }

  /** Leaves the last block on screen (or removes it with `clear`) and shows the cursor again. */
  close(options: { clear?: boolean } = {}): void {
    if (!this.live) return;
    if (options.clear) {
      this.out.write(this.erase());
      this.frame = [];
    }
    this.drawn = 0;
    if (this.cursorHidden) this.out.write('\x1b[?25h');
    this.cursorHidden = false;
  }

  private erase(): string {
    return this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : '';
  }
}
