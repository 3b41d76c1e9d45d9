/**
 * Writing CEL source text from TypeScript values: string literals, string lists, the anchored RE2
 * patterns that name globs compile to, and the check that a JavaScript pattern means the same in
 * RE2 over the subjects it is applied to. Pure; no CEL implementation is needed to generate.
 */

/** A CEL double-quoted string literal for `s` (CEL escapes; non-ASCII characters kept as written). */
export function celString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else out += ch;
  }
  return `${out}"`;
}

/** A CEL list literal of strings. */
export function celStringList(values: readonly string[]): string {
  return `[${values.map(celString).join(', ')}]`;
}

const RE2_META = /[\\.+*?()|[\]{}^$]/g;

/** Escape a literal for an RE2 pattern. */
export function re2Literal(s: string): string {
  return s.replace(RE2_META, '\\$&');
}

/**
 * The namespace/name glob of runtime/engine/match.ts (`*` any run, `?` one character, the rest
 * literal) as a CEL test of `subject`: equality without wildcards, else an anchored RE2 match.
 * Over namespace names (DNS labels, ASCII) `.` and `.*` mean what the engine's JavaScript regex does.
 */
export function celNameGlob(pattern: string, subject: string): string {
  if (!pattern.includes('*') && !pattern.includes('?')) return `${subject} == ${celString(pattern)}`;
  const re = `^${[...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : re2Literal(c))).join('')}$`;
  return `${subject}.matches(${celString(re)})`;
}

/** Escapes whose meaning is the same in JavaScript (`u` flag) and RE2 over ASCII subjects. */
const SAME_ESCAPES = new Set([...'dDwWsSbB', ...'.-\\/+*?()[]{}|^$']);

/**
 * Why the JavaScript pattern (as runtime/engine/safe-regex.ts compiles it: `^(?:p)$`, flag `u`)
 * might not mean the same in RE2 over label values (ASCII `[A-Za-z0-9._-]`, at most 63
 * characters), or undefined when it does. Conservative: only plain syntax both engines read alike.
 */
export function re2Difference(pattern: string): string | undefined {
  for (let i = 0; i < pattern.length; i += 1) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined || !SAME_ESCAPES.has(next)) return `escape \\${next ?? ''} may differ between JavaScript and RE2`;
      i += 1;
      continue;
    }
    if (ch === '(' && pattern[i + 1] === '?' && pattern[i + 2] !== ':') return 'lookaround, named groups and inline flags are not compiled to RE2';
    if (ch.charCodeAt(0) > 0x7e || ch.charCodeAt(0) < 0x20) return 'non-ASCII or control characters in the pattern';
  }
  for (const m of pattern.matchAll(/\{(\d+)(?:,(\d*))?\}/g)) {
    if (Number(m[1]) > 1000 || (m[2] !== undefined && m[2] !== '' && Number(m[2]) > 1000)) return 'a repetition count above 1000 (RE2 refuses it)';
  }
  return undefined;
}
