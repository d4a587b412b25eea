// Input validation with zod: the field builders every schema here is made of, and `validate`,
// which turns zod's issues into one InvalidInput listing every problem with the field's path and
// what was wrong ("strategy.stepPercent must be an integer from 1 to 100 (got 0)").
// zod/mini, not zod's classic API: it tree-shakes, so a function bundle carries only what it uses.
// Pure: no AWS SDK here.
import * as z from 'zod/mini';
import { InvalidInput } from './errors.ts';

/** A value as a message shows it: short, and never the whole of a huge string. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'string') return value.length > 40 ? `"${value.slice(0, 40)}…"` : JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/**
 * Each builder's error text says what the field must be ("an integer from 1 to 100"); `validate`
 * writes it as "<path> must be <text> (got <value>)", or "<path> is missing: it must be <text>".
 * A text that starts with "is missing:" says instead what to do when the field is left out.
 */
const MISSING = 'is missing:';

/**
 * An integer from min to max. Not zod's z.int(): a fraction there stops every later check of
 * the object, so the cross-field rules (canary ≠ stable...) would go unsaid in the same message.
 */
export const integer = (min: number, max: number, ...more: z.core.CheckFn<number>[] | z.core.$ZodCheck<number>[]) => {
  const error = `an integer from ${min} to ${max}`;
  const schema = z.number({ error }).check(z.refine(Number.isInteger, { error }), z.gte(min, { error }), z.lte(max, { error }), ...(more as z.core.$ZodCheck<number>[]));
  integers.add(schema);
  return schema;
};

/** The schemas `integer` made: the JSON Schema generator writes them as "type": "integer". */
export const integers = new WeakSet<object>();

/** Any finite number. */
export const finite = () => z.number({ error: 'a finite number' });

export const bool = () => z.boolean({ error: 'true or false' });

const CONTROL = /^[^\u0000-\u001f]+$/;

/** A non-empty string of at most max characters without control characters. */
export const text = (max: number) =>
  z.string({ error: `a non-empty string of at most ${max} characters without control characters` })
    .check(z.minLength(1), z.maxLength(max), z.regex(CONTROL));

/** One of a few strings. */
export const oneOf = <const T extends readonly [string, ...string[]]>(options: T) =>
  z.enum(options, { error: `one of ${options.join(', ')}` });

/** An array of min to max items. */
export const array = <T extends z.core.SomeType>(item: T, min: number, max: number) =>
  z.array(item, { error: `an array of ${min} to ${max} items` }).check(z.minLength(min), z.maxLength(max));

/**
 * An object with only these fields: any other is named, with the fields it may have. `missing`
 * says what to do when it is left out (default: "it must be an object").
 */
export const object = <S extends z.core.$ZodLooseShape>(shape: S, missing?: string) => {
  const known = `known: ${Object.keys(shape).join(', ')}`;
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? known : missing && iss.input === undefined ? `${MISSING} ${missing}` : 'an object'),
  });
};

/** Anything, but not left out; `missing` says what to do then. */
export const present = (missing: string) => z.unknown().check(z.refine((v) => v !== undefined, { error: `${MISSING} ${missing}` }));

/** A plain object (what zod's objects accept), for rules that look at several fields. */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Names a field for a rule's message, relative to the object the rule is on. */
export type At = (...path: (string | number)[]) => string;
/** A problem a rule found, written once the path of the object it is on is known. */
export type Problem = (at: At) => string;

/**
 * A rule across fields of an object, run even when some of its fields are wrong (one message
 * lists every problem), but only on an object: `run` gets the value as it came (it checks its
 * fields' types itself) and returns the problems it finds. `when` can skip it on issues found so far.
 */
export const rule = (run: (value: Record<string, unknown>) => (Problem | false | undefined)[], when?: (issues: readonly z.core.$ZodRawIssue[]) => boolean) =>
  z.superRefine((value: unknown, ctx) => {
    if (!isObject(value)) return;
    for (const problem of run(value)) {
      if (problem) ctx.addIssue({ code: 'custom', message: 'rule', params: { problem }, input: value });
    }
  }, { when: (payload) => isObject(payload.value) && (when ? when(payload.issues) : true) });

/**
 * A schema that validates a value with one of two schemas, picked by the value's shape (not a
 * zod union, whose message would name neither's fields): the picked schema's problems are the value's.
 */
export function picked<A extends z.core.$ZodType, B extends z.core.$ZodType>(isA: (value: unknown) => boolean, a: A, b: B) {
  return z.unknown().check(z.superRefine((value, ctx) => {
    const result = z.safeParse(isA(value) ? a : b, value, { reportInput: true });
    if (!result.success) for (const issue of result.error.issues) ctx.addIssue(issue as never);
  })) as unknown as z.ZodMiniType<z.output<A> | z.output<B>>;
}

/** How messages name what is validated. */
export interface Naming {
  /** The value as a whole: "input", "event", "deployment". */
  whole: string;
  /** Before the path of a field inside it (default: whole and a dot; the deployment input's fields go bare). */
  prefix?: string;
  /** Top-level fields named without the prefix: an event's "deployment" is "deployment.route", not "event.deployment.route". */
  bare?: readonly string[];
}

/** A key is the caller's text: shortened like a value, so a huge key cannot blow up the cause. */
const shortKey = (key: string) => (key.length > 40 ? `${key.slice(0, 40)}…` : key);

export function pathOf(naming: Naming, path: readonly PropertyKey[]): string {
  if (path.length === 0) return naming.whole;
  const first = String(path[0]);
  let out = (naming.bare?.includes(first) ? '' : naming.prefix ?? `${naming.whole}.`) + shortKey(first);
  for (const key of path.slice(1)) out += typeof key === 'number' ? `[${key}]` : `.${shortKey(String(key))}`;
  return out;
}

/** The problems zod found, in our words. */
export function problemsOf(issues: readonly z.core.$ZodIssue[], naming: Naming): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const add = (problem: string, key: string) => {
    // A field that breaks several checks (0.5 is neither an integer nor >= 1) is one problem.
    if (seen.has(key)) return;
    seen.add(key);
    problems.push(problem);
  };
  for (const issue of issues) {
    const path = issue.path;
    const input = (issue as { input?: unknown }).input;
    if (issue.code === 'unrecognized_keys') {
      // At the top, the whole's name goes first even where its fields go bare ("input.weight").
      for (const key of issue.keys) {
        const field = path.length === 0 ? `${naming.whole}.${shortKey(key)}` : pathOf(naming, [...path, key]);
        add(`${field} is not a known field (${issue.message})`, `${field}\u0000known`);
      }
    } else if (issue.code === 'custom' && typeof issue.params?.problem === 'function') {
      const problem = (issue.params.problem as Problem)((...rest) => pathOf(naming, [...path, ...rest]));
      add(problem, problem);
    } else if (issue.code === 'invalid_key') {
      // A record's key: the record is the field, the key what it got.
      const field = pathOf(naming, path.slice(0, -1));
      add(`${field} must be ${issue.issues[0]?.message} (got ${shown(input)})`, `${field}\u0000${String(path.at(-1))}`);
    } else {
      let value = input;
      // An unknown discriminator (strategy.type): zod's input is the object; say what the type was.
      if (issue.code === 'invalid_union' && 'discriminator' in issue) value = isObject(input) ? input[issue.discriminator as string] : undefined;
      const field = pathOf(naming, path);
      if (issue.message.startsWith(MISSING)) add(`${field} ${issue.message}`, field);
      else if (value === undefined) add(`${field} is missing: it must be ${issue.message}`, field);
      else add(`${field} must be ${issue.message} (got ${shown(value)})`, field);
    }
  }
  return problems;
}

/**
 * The value, now known to be of the schema's type, or InvalidInput listing every problem (`more`
 * may add its own). The value itself, not zod's copy: the schemas transform nothing, and zod's copy
 * of a record leaves out a "__proto__" key (a metric dimension of that name would vanish).
 */
export function validate<T extends z.core.$ZodType>(schema: T, value: unknown, naming: Naming, more?: (problems: string[]) => void): z.output<T> {
  const result = z.safeParse(schema, value, { reportInput: true });
  const problems = result.success ? [] : problemsOf(result.error.issues, naming);
  more?.(problems);
  if (problems.length || !result.success) throw new InvalidInput(problems);
  return value as z.output<T>;
}
