/**
 * Policy-supplied regular expressions that are safe to run on attacker-controlled strings.
 *
 * `compileAnchoredPattern` anchors the pattern (`^(?:…)$`) and refuses the constructs that make a
 * backtracking engine (V8's) super-linear: a quantified group that itself contains a quantifier or
 * an alternation (`(a+)+`, `(a|aa)*`, `(x{2,})+` — "star height" above one), back-references and
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
}

/** Why a pattern is refused, or undefined when it is acceptable. */
export function checkPattern(pattern: string): string | undefined {
  if (pattern.length > 1000) return 'longer than 1000 characters';
  try {
    new RegExp(pattern, 'u');
  } catch (e) {
    return `invalid regular expression (${(e as Error).message})`;
  }
  const stack: GroupState[] = [{ hasQuantifier: false, hasAlternation: false }];
  let inClass = false;
  let lastClosed: GroupState | undefined; // the group that just closed, if the previous token was `)`
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
      stack.push({ hasQuantifier: false, hasAlternation: false });
      if (pattern.startsWith('(?:', i)) i += 2;
      else if (pattern.startsWith('(?<', i)) i = pattern.indexOf('>', i);
      lastClosed = undefined;
      continue;
    }
    if (ch === ')') {
      const closed = stack.pop()!;
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
        const repeats = ch !== '?';
        if (repeats && lastClosed !== undefined && (lastClosed.hasQuantifier || lastClosed.hasAlternation)) {
          return 'a repeated group may not contain a quantifier or an alternation (catastrophic backtracking)';
        }
        top.hasQuantifier = true;
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
