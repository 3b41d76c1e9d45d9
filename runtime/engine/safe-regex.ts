/**
 * Policy-supplied regular expressions that are safe to run on attacker-controlled strings.
 *
 * `compileAnchoredPattern` anchors the pattern (`^(?:…)$`) and refuses the constructs that make a
 * backtracking engine (V8's) super-linear: a repeated group that itself contains an alternation or
 * a quantifier (`(a+)+`, `(a|aa)*`, `(x{2,})+` — "star height" above one), unless each iteration
 * starts with a literal delimiter nothing else in the group can match (`(-[a-z0-9]+)*`,
 * `(\.[0-9]+)+` are accepted: their iterations split in exactly one way); back-references and
 * lookaround. What remains can backtrack at most polynomially in the few quantifiers present, and
 * the callers additionally bound the subject length. Synth calls `checkPattern` so a policy author
 * learns about a refused pattern at `cdk8s synth`, not at admission.
 */

export class UnsafePatternError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`pattern ${JSON.stringify(pattern)} is not allowed: ${reason}`);
    this.name = 'UnsafePatternError';
  }
}

interface GroupState {
  hasQuantifier: boolean;
  hasAlternation: boolean;
  /** Index where the group's body starts (after `(`, `(?:` or `(?<name>`). */
  bodyStart: number;
  body?: string;
}

const SPECIAL = new Set(['\\', '^', '$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}']);

/** The atoms of a (group-free or grouped) body: classes, escapes, `.` and literal characters. */
function atoms(body: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\') {
      out.push(body.slice(i, i + 2));
      i++;
    } else if (ch === '[') {
      let j = i + 1;
      while (j < body.length && body[j] !== ']') j += body[j] === '\\' ? 2 : 1;
      out.push(body.slice(i, j + 1));
      i = j;
    } else if (!SPECIAL.has(ch) || ch === '.') {
      out.push(ch);
    }
  }
  return out;
}

/**
 * A repeated group with inner quantifiers is still unambiguous when every iteration starts with a
 * literal delimiter that nothing else in the group can match: `(-[a-z0-9]+)*`, `(\.[0-9]+)+`.
 * The iterations are then split at the delimiters in exactly one way.
 */
function delimitedGroup(body: string): boolean {
  let delimiter: string;
  let rest: string;
  if (body[0] === '\\' && body.length > 1 && !/[A-Za-z0-9]/.test(body[1])) {
    delimiter = body[1]!;
    rest = body.slice(2);
  } else if (body.length > 0 && !SPECIAL.has(body[0])) {
    delimiter = body[0]!;
    rest = body.slice(1);
  } else {
    return false;
  }
  if (/^[*+?{]/.test(rest)) return false;
  return atoms(rest).every((atom) => !new RegExp(`^${atom}$`, 'u').test(delimiter));
}

/**
 * Quantifiers without nesting still backtrack polynomially: k overlapping `*`/`+` over an n-char
 * value take ~n^k steps (`a*a*a*a*a*a*b` against 63 `a`s: seconds), and k optional `?` up to 2^k.
 * Bounding their number keeps the worst case at about C(63+4, 4) ≈ 770k steps for label values.
 */
export const MAX_WIDE_QUANTIFIERS = 4;
export const MAX_VARIABLE_QUANTIFIERS = 8;

/** Why a pattern is refused, or undefined when it is acceptable. */
export function checkPattern(pattern: string): string | undefined {
  if (pattern.length > 1000) return 'longer than 1000 characters';
  try {
    new RegExp(pattern, 'u');
  } catch (e) {
    return `invalid regular expression (${(e as Error).message})`;
  }
  const stack: GroupState[] = [{ hasQuantifier: false, hasAlternation: false, bodyStart: 0 }];
  let inClass = false;
  let lastClosed: GroupState | undefined; // the group that just closed, if the previous token was `)`
  let wide = 0; // `*`, `+`, `{n,}`, `{n,m}` with m > n + 1
  let variable = 0; // wide ones plus `?` and `{n,n+1}`
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    const top = stack[stack.length - 1];
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'back-references are not allowed';
      i++;
      lastClosed = undefined;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      lastClosed = undefined;
      continue;
    }
    if (ch === '(') {
      if (pattern.startsWith('(?=', i) || pattern.startsWith('(?!', i) || pattern.startsWith('(?<=', i) || pattern.startsWith('(?<!', i)) {
        return 'lookaround is not allowed';
      }
      if (pattern.startsWith('(?:', i)) i += 2;
      else if (pattern.startsWith('(?<', i)) i = pattern.indexOf('>', i);
      stack.push({ hasQuantifier: false, hasAlternation: false, bodyStart: i + 1 });
      lastClosed = undefined;
      continue;
    }
    if (ch === ')') {
      const closed = stack.pop()!;
      closed.body = pattern.slice(closed.bodyStart, i);
      const parent = stack[stack.length - 1];
      parent.hasQuantifier ||= closed.hasQuantifier;
      parent.hasAlternation ||= closed.hasAlternation;
      lastClosed = closed;
      continue;
    }
    if (ch === '|') {
      top.hasAlternation = true;
      lastClosed = undefined;
      continue;
    }
    if (ch === '*' || ch === '+' || ch === '?' || ch === '{') {
      const isQuantifier = ch !== '{' || /^\{\d+(,\d*)?\}/.test(pattern.slice(i));
      if (isQuantifier) {
        const repeats = ch !== '?' && !(ch === '{' && /^\{[01](,[01])?\}/.test(pattern.slice(i)));
        if (
          repeats &&
          lastClosed !== undefined &&
          (lastClosed.hasAlternation || (lastClosed.hasQuantifier && !delimitedGroup(lastClosed.body ?? '')))
        ) {
          return 'a repeated group may not contain a quantifier or an alternation (catastrophic backtracking)';
        }
        top.hasQuantifier = true;
        const range = ch === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i)) : null;
        const span = range === null ? (ch === '?' ? 1 : Infinity) : range[2] === undefined ? 0 : range[3] === '' ? Infinity : Number(range[3]) - Number(range[1]);
        if (span >= 1) variable += 1;
        if (span >= 2) wide += 1;
        if (wide > MAX_WIDE_QUANTIFIERS) return `more than ${MAX_WIDE_QUANTIFIERS} unbounded quantifiers (polynomial backtracking)`;
        if (variable > MAX_VARIABLE_QUANTIFIERS) return `more than ${MAX_VARIABLE_QUANTIFIERS} variable quantifiers (backtracking)`;
        if (ch === '{') i = pattern.indexOf('}', i);
        if (pattern[i + 1] === '?') i++; // lazy modifier
        lastClosed = undefined;
        continue;
      }
    }
    lastClosed = undefined;
  }
  return undefined;
}

/** Compile a refused-if-unsafe, fully anchored pattern. */
export function compileAnchoredPattern(pattern: string): RegExp {
  const problem = checkPattern(pattern);
  if (problem !== undefined) throw new UnsafePatternError(pattern, problem);
  return new RegExp(`^(?:${pattern})$`, 'u');
}
