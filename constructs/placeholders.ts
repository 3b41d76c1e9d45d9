/**
 * Values a team has not filled in yet. `portcullis init` writes `placeholder('…')` into
 * `policies/config.ts` for every value it was not given; `RequireFilled` makes synth refuse each one
 * that is still there, naming the file and line of the `placeholder(…)` call:
 *
 *   [acme/config/registry] (policies/config.ts:31) registry is still a placeholder: …
 *
 * A placeholder is a plain string starting with `REPLACE-ME`, so it stays recognisable wherever it
 * ends up (a grep finds it); the line of each `placeholder()` call is recorded when it runs.
 */
import { Construct } from 'constructs';
import { callerLocation, formatLocation, type SourceLocation } from './source-location';

/** Every placeholder value starts with this. */
export const PLACEHOLDER_PREFIX = 'REPLACE-ME';

/** Where each placeholder value was written, by value (in call order when one value is written twice). */
const written = new Map<string, SourceLocation[]>();

/**
 * A value still to be filled in: returns `REPLACE-ME: <hint>` and records the caller's file and line.
 * Put the hint the reader needs to fill it in, e.g. `placeholder('registry host, e.g. registry.acme.example')`.
 */
export function placeholder(hint: string): string {
  const value = `${PLACEHOLDER_PREFIX}: ${hint}`;
  const loc = callerLocation();
  if (loc !== undefined) written.set(value, [...(written.get(value) ?? []), loc]);
  return value;
}

/** Whether a value is a placeholder (written by `placeholder()` or typed by hand). */
export function isPlaceholder(value: unknown): value is string {
  return typeof value === 'string' && value.trimStart().startsWith(PLACEHOLDER_PREFIX);
}

export interface UnfilledPlaceholder {
  /** Where in the value it sits, e.g. `signing.publicKey.pem` (`''` for the value itself). */
  readonly path: string;
  readonly value: string;
  /** The `placeholder()` call that wrote it, when it was written by one. */
  readonly location: SourceLocation | undefined;
}

/** Every placeholder in a value (strings, arrays and plain objects, depth first, in key order). */
export function unfilledPlaceholders(value: unknown): UnfilledPlaceholder[] {
  const out: UnfilledPlaceholder[] = [];
  const seen = new Map<string, number>();
  const walk = (v: unknown, at: string): void => {
    if (isPlaceholder(v)) {
      const n = seen.get(v) ?? 0;
      seen.set(v, n + 1);
      const locs = written.get(v) ?? [];
      out.push({ path: at, value: v, location: locs[Math.min(n, locs.length - 1)] });
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${at}[${i}]`));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, at === '' ? k : `${at}.${k}`);
    }
  };
  walk(value, '');
  return out;
}

function hintOf(value: string): string {
  return value.trimStart().slice(PLACEHOLDER_PREFIX.length).replace(/^[:\s]+/, '') || value;
}

/**
 * Whether none of the values holds a placeholder. For building a policy only once its settings are
 * filled in, so that a refused synth lists the placeholders rather than what they would break:
 * `if (isFilled(config.registry)) images(app, config);`
 */
export function isFilled(...values: unknown[]): boolean {
  return values.every((v) => unfilledPlaceholders(v).length === 0);
}

/** One unfilled value, as a construct: synth reports it with the placeholder's file and line. */
class UnfilledValue extends Construct {
  readonly location: SourceLocation | undefined;

  constructor(scope: Construct, id: string, p: UnfilledPlaceholder, what: string) {
    super(scope, id);
    this.location = p.location;
    const where = p.location === undefined ? `the ${p.path === '' ? 'value' : p.path} setting` : formatLocation(p.location);
    const name = p.path === '' ? what : p.path;
    this.node.addValidation({
      validate: () => [`${name} is still a placeholder (${hintOf(p.value)}). Fix: replace placeholder(…) at ${where} with your value.`],
    });
  }
}

/**
 * Refuses synth while `values` (e.g. the team's config object) still holds placeholders: one problem
 * per placeholder, with the file and line of its `placeholder()` call. Declare it before the
 * policies so those problems are listed first.
 */
export class RequireFilled extends Construct {
  /** The placeholders found (empty when every value is filled in). */
  readonly unfilled: readonly UnfilledPlaceholder[];

  constructor(scope: Construct, id: string, values: unknown) {
    super(scope, id);
    this.unfilled = unfilledPlaceholders(values);
    const ids = new Set<string>();
    for (const p of this.unfilled) {
      let cid = p.path === '' ? id : p.path.replace(/\//g, '-');
      for (let n = 2; ids.has(cid); n++) cid = `${p.path}-${n}`;
      ids.add(cid);
      new UnfilledValue(this, cid, p, id);
    }
  }
}
