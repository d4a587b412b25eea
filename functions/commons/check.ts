// A small, dependency-free input checker: collects every problem with the field's path and
// what was wrong, so one InvalidInput error tells the user everything at once.
import { InvalidInput } from './errors.ts';

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? `"${value.slice(0, 40)}…"` : JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

export class Checker {
  readonly problems: string[] = [];

  fail(path: string, expected: string, value: unknown): void {
    this.problems.push(value === undefined ? `${path} is missing: it must be ${expected}` : `${path} must be ${expected} (got ${describe(value)})`);
  }

  /** An object with only the listed keys. Returns it, or undefined after recording why not. */
  object(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(path, 'an object', value);
      return undefined;
    }
    for (const key of Object.keys(value)) {
      // A key is the caller's text: shortened like a value, so a huge key cannot blow up the cause
      // (Step Functions keeps 32,768 characters of it, and the machines parse it as JSON).
      const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key;
      if (!allowed.includes(key)) this.problems.push(`${path ? `${path}.` : ''}${shown} is not a known field (known: ${allowed.join(', ')})`);
    }
    return value as Record<string, unknown>;
  }

  /** An App Mesh-style name: 1-255 of letters, digits, '.', '_' and '-', starting with a letter or digit. */
  name(value: unknown, path: string): value is string {
    if (typeof value === 'string' && NAME_PATTERN.test(value)) return true;
    this.fail(path, 'a name of 1-255 letters, digits, . _ or - (starting with a letter or digit)', value);
    return false;
  }

  string(value: unknown, path: string, max = 1024): value is string {
    if (typeof value === 'string' && value.length > 0 && value.length <= max && !/[\u0000-\u001f]/.test(value)) return true;
    this.fail(path, `a non-empty string of at most ${max} characters without control characters`, value);
    return false;
  }

  integer(value: unknown, path: string, min: number, max: number): value is number {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return true;
    this.fail(path, `an integer from ${min} to ${max}`, value);
    return false;
  }

  number(value: unknown, path: string): value is number {
    if (typeof value === 'number' && Number.isFinite(value)) return true;
    this.fail(path, 'a finite number', value);
    return false;
  }

  boolean(value: unknown, path: string): value is boolean {
    if (typeof value === 'boolean') return true;
    this.fail(path, 'true or false', value);
    return false;
  }

  oneOf<T extends string>(value: unknown, path: string, options: readonly T[]): value is T {
    if (typeof value === 'string' && (options as readonly string[]).includes(value)) return true;
    this.fail(path, `one of ${options.join(', ')}`, value);
    return false;
  }

  array(value: unknown, path: string, min: number, max: number): value is unknown[] {
    if (Array.isArray(value) && value.length >= min && value.length <= max) return true;
    this.fail(path, `an array of ${min} to ${max} items`, value);
    return false;
  }

  /** Throws InvalidInput listing every problem found, if any. */
  done(): void {
    if (this.problems.length) throw new InvalidInput(this.problems);
  }
}
