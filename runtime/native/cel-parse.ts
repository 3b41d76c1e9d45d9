/**
 * A small CEL parser for the subset the native compiler generates (runtime/native), used at synth
 * time by cost.ts to check the generated policies against the limits the API server enforces. No
 * CEL implementation is a runtime dependency: this is a plain recursive-descent parser of the
 * grammar of https://github.com/google/cel-spec/blob/master/doc/langdef.md#syntax (precedence:
 * `?:` < `||` < `&&` < relations < `+ -` < `* / %` < unary < member), with the optional syntax of
 * Kubernetes 1.28+ (`.?field`, `[?index]`) and the standard macros (`has`, `all`, `exists`,
 * `exists_one`, `map`, `filter`) recognised as such. Message construction (`T{...}`), bytes
 * literals and triple-quoted strings are not generated and not supported. test/native/limits.test.ts
 * proves the trees equal to those of @marcbachmann/cel-js on every generated expression.
 */

export type Literal =
  | { type: 'string'; value: string }
  | { type: 'int' | 'uint' | 'double'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'null' };

export type Macro = 'all' | 'exists' | 'exists_one' | 'map' | 'filter';

/** A parsed expression. `parens` counts the parentheses written around it. */
export type CelNode = (
  | { kind: 'literal'; literal: Literal }
  | { kind: 'ident'; name: string }
  /** `a.f`, `a.?f` (optional), `has(a.f)` (test). */
  | { kind: 'select'; operand: CelNode; field: string; optional: boolean; test: boolean }
  /** `a[i]`, `a[?i]`. */
  | { kind: 'index'; operand: CelNode; index: CelNode; optional: boolean }
  /** A global call `f(args)` (dotted names such as `optional.of` included) or a member call `t.f(args)`. */
  | { kind: 'call'; fn: string; target?: CelNode; args: CelNode[] }
  /** A comprehension macro: `range.macro(v, body)` or `range.map(v, filter, body)`. */
  | { kind: 'macro'; macro: Macro; range: CelNode; iterVar: string; args: CelNode[] }
  | { kind: 'list'; items: CelNode[] }
  | { kind: 'map'; entries: [CelNode, CelNode][] }
  /** Operators: `?:` (3 args), binary (`||`, `&&`, `==`, `in`, `+`, …) and unary (`!`, `-`). */
  | { kind: 'op'; op: string; args: CelNode[] }
) & { parens: number };

export class CelSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
  }
}

type TokenKind = 'ident' | 'int' | 'uint' | 'double' | 'string' | 'punct' | 'eof';

interface Token {
  kind: TokenKind;
  /** Identifier name, punctuation, number text, or the decoded string value. */
  text: string;
  offset: number;
}

const PUNCTUATION = ['.?', '[?', '||', '&&', '==', '!=', '<=', '>=', '(', ')', '[', ']', '{', '}', '.', ',', ':', '?', '!', '<', '>', '+', '-', '*', '/', '%'];
const ESCAPES: Readonly<Record<string, string>> = { a: '\u0007', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", '`': '`', '?': '?' };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i += 1;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i += 1;
      continue;
    }
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i])) i += 1;
      const word = src.slice(start, i);
      const raw = (word === 'r' || word === 'R') && (src[i] === '"' || src[i] === "'");
      if (!raw) {
        out.push({ kind: 'ident', text: word, offset: start });
        continue;
      }
    }
    if (c === '"' || c === "'" || ((c === 'r' || c === 'R') && (src[i] === '"' || src[i] === "'"))) {
      const rawString = c === 'r' || c === 'R';
      const quote = src[i];
      if (src.startsWith(quote.repeat(3), i)) throw new CelSyntaxError('triple-quoted strings are not supported', i);
      i += 1;
      let value = '';
      for (;;) {
        if (i >= src.length || src[i] === '\n') throw new CelSyntaxError('unterminated string', start);
        const ch = src[i];
        if (ch === quote) {
          i += 1;
          break;
        }
        if (ch === '\\' && !rawString) {
          const e = src[i + 1];
          if (e === 'u' || e === 'U' || e === 'x' || e === 'X') {
            const len = e === 'u' ? 4 : e === 'U' ? 8 : 2;
            const hex = src.slice(i + 2, i + 2 + len);
            if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new CelSyntaxError('bad escape', i);
            value += String.fromCodePoint(parseInt(hex, 16));
            i += 2 + len;
          } else if (e !== undefined && /[0-3]/.test(e) && /^[0-7]{3}$/.test(src.slice(i + 1, i + 4))) {
            value += String.fromCodePoint(parseInt(src.slice(i + 1, i + 4), 8));
            i += 4;
          } else if (e !== undefined && ESCAPES[e] !== undefined) {
            value += ESCAPES[e];
            i += 2;
          } else throw new CelSyntaxError('bad escape', i);
          continue;
        }
        const cp = src.codePointAt(i) as number;
        value += String.fromCodePoint(cp);
        i += cp > 0xffff ? 2 : 1;
      }
      out.push({ kind: 'string', text: value, offset: start });
      continue;
    }
    if (/[0-9]/.test(c)) {
      if (c === '0' && (src[i + 1] === 'x' || src[i + 1] === 'X')) {
        i += 2;
        while (i < src.length && /[0-9a-fA-F]/.test(src[i])) i += 1;
      } else {
        while (i < src.length && /[0-9]/.test(src[i])) i += 1;
        let double = false;
        if (src[i] === '.' && /[0-9]/.test(src[i + 1] ?? '')) {
          double = true;
          i += 1;
          while (i < src.length && /[0-9]/.test(src[i])) i += 1;
        }
        if (src[i] === 'e' || src[i] === 'E') {
          double = true;
          i += 1;
          if (src[i] === '+' || src[i] === '-') i += 1;
          while (i < src.length && /[0-9]/.test(src[i])) i += 1;
        }
        if (double) {
          out.push({ kind: 'double', text: src.slice(start, i), offset: start });
          continue;
        }
      }
      if (src[i] === 'u' || src[i] === 'U') {
        out.push({ kind: 'uint', text: src.slice(start, i), offset: start });
        i += 1;
      } else out.push({ kind: 'int', text: src.slice(start, i), offset: start });
      continue;
    }
    const p = PUNCTUATION.find((q) => src.startsWith(q, i));
    if (p === undefined) throw new CelSyntaxError(`unexpected character ${JSON.stringify(c)}`, i);
    out.push({ kind: 'punct', text: p, offset: i });
    i += p.length;
  }
  out.push({ kind: 'eof', text: '', offset: src.length });
  return out;
}

const MACROS = new Set<string>(['all', 'exists', 'exists_one', 'map', 'filter']);
const RELATIONS = new Set(['<', '<=', '>=', '>', '==', '!=', 'in']);

class Parser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private at(text: string): boolean {
    const t = this.peek();
    return (t.kind === 'punct' || t.kind === 'ident') && t.text === text;
  }

  private next(): Token {
    const t = this.tokens[this.pos];
    if (t.kind !== 'eof') this.pos += 1;
    return t;
  }

  private expect(text: string): Token {
    if (!this.at(text)) throw new CelSyntaxError(`expected ${JSON.stringify(text)}`, this.peek().offset);
    return this.next();
  }

  parseAll(): CelNode {
    const e = this.expr();
    if (this.peek().kind !== 'eof') throw new CelSyntaxError('unexpected input', this.peek().offset);
    return e;
  }

  private expr(): CelNode {
    const cond = this.or();
    if (!this.at('?')) return cond;
    this.next();
    const yes = this.or();
    this.expect(':');
    const no = this.expr();
    return { kind: 'op', op: '?:', args: [cond, yes, no], parens: 0 };
  }

  private or(): CelNode {
    let e = this.and();
    while (this.at('||')) {
      this.next();
      e = { kind: 'op', op: '||', args: [e, this.and()], parens: 0 };
    }
    return e;
  }

  private and(): CelNode {
    let e = this.relation();
    while (this.at('&&')) {
      this.next();
      e = { kind: 'op', op: '&&', args: [e, this.relation()], parens: 0 };
    }
    return e;
  }

  private relation(): CelNode {
    let e = this.addition();
    while (RELATIONS.has(this.peek().text) && (this.peek().kind === 'punct' || this.peek().text === 'in')) {
      const op = this.next().text;
      e = { kind: 'op', op, args: [e, this.addition()], parens: 0 };
    }
    return e;
  }

  private addition(): CelNode {
    let e = this.multiplication();
    while (this.at('+') || this.at('-')) {
      const op = this.next().text;
      e = { kind: 'op', op, args: [e, this.multiplication()], parens: 0 };
    }
    return e;
  }

  private multiplication(): CelNode {
    let e = this.unary();
    while (this.at('*') || this.at('/') || this.at('%')) {
      const op = this.next().text;
      e = { kind: 'op', op, args: [e, this.unary()], parens: 0 };
    }
    return e;
  }

  private unary(): CelNode {
    if (this.at('!') || this.at('-')) {
      const op = this.next().text;
      return { kind: 'op', op, args: [this.unary()], parens: 0 };
    }
    return this.member();
  }

  private args(close: string): CelNode[] {
    const out: CelNode[] = [];
    if (this.at(close)) {
      this.next();
      return out;
    }
    for (;;) {
      out.push(this.expr());
      if (this.at(',')) {
        this.next();
        if (this.at(close)) break; // trailing comma
        continue;
      }
      break;
    }
    this.expect(close);
    return out;
  }

  private ident(): string {
    const t = this.next();
    if (t.kind !== 'ident') throw new CelSyntaxError('expected an identifier', t.offset);
    return t.text;
  }

  private member(): CelNode {
    let e = this.primary();
    for (;;) {
      if (this.at('.') || this.at('.?')) {
        const optional = this.next().text === '.?';
        const field = this.ident();
        if (!optional && this.at('(')) {
          this.next();
          const args = this.args(')');
          e = this.memberCall(e, field, args);
        } else e = { kind: 'select', operand: e, field, optional, test: false, parens: 0 };
      } else if (this.at('[') || this.at('[?')) {
        const optional = this.next().text === '[?';
        const index = this.expr();
        this.expect(']');
        e = { kind: 'index', operand: e, index, optional, parens: 0 };
      } else return e;
    }
  }

  private memberCall(target: CelNode, fn: string, args: CelNode[]): CelNode {
    if (MACROS.has(fn) && (args.length === 2 || (fn === 'map' && args.length === 3))) {
      const v = args[0];
      if (v.kind !== 'ident') throw new CelSyntaxError(`${fn}: the iteration variable must be an identifier`, this.peek().offset);
      return { kind: 'macro', macro: fn as Macro, range: target, iterVar: v.name, args: args.slice(1), parens: 0 };
    }
    // `optional.of(x)` and friends: a dotted global function name.
    if (target.kind === 'ident' && target.parens === 0 && target.name === 'optional') return { kind: 'call', fn: `optional.${fn}`, args, parens: 0 };
    return { kind: 'call', fn, target, args, parens: 0 };
  }

  private primary(): CelNode {
    const t = this.peek();
    if (t.kind === 'int' || t.kind === 'uint' || t.kind === 'double') {
      this.next();
      return { kind: 'literal', literal: { type: t.kind, value: t.text }, parens: 0 };
    }
    if (t.kind === 'string') {
      this.next();
      return { kind: 'literal', literal: { type: 'string', value: t.text }, parens: 0 };
    }
    if (t.kind === 'ident') {
      this.next();
      if (t.text === 'true' || t.text === 'false') return { kind: 'literal', literal: { type: 'bool', value: t.text === 'true' }, parens: 0 };
      if (t.text === 'null') return { kind: 'literal', literal: { type: 'null' }, parens: 0 };
      if (this.at('(')) {
        this.next();
        const args = this.args(')');
        if (t.text === 'has') {
          const [a] = args;
          if (args.length !== 1 || a.kind !== 'select' || a.optional) throw new CelSyntaxError('has() takes one field selection', t.offset);
          return { ...a, test: true };
        }
        return { kind: 'call', fn: t.text, args, parens: 0 };
      }
      return { kind: 'ident', name: t.text, parens: 0 };
    }
    if (this.at('.')) {
      // A leading dot names the root scope: `.name`.
      this.next();
      return { kind: 'ident', name: this.ident(), parens: 0 };
    }
    if (this.at('(')) {
      this.next();
      const e = this.expr();
      this.expect(')');
      return { ...e, parens: e.parens + 1 };
    }
    if (this.at('[')) {
      this.next();
      return { kind: 'list', items: this.args(']'), parens: 0 };
    }
    if (this.at('{')) {
      this.next();
      const entries: [CelNode, CelNode][] = [];
      while (!this.at('}')) {
        const k = this.expr();
        this.expect(':');
        entries.push([k, this.expr()]);
        if (!this.at(',')) break;
        this.next();
      }
      this.expect('}');
      return { kind: 'map', entries, parens: 0 };
    }
    throw new CelSyntaxError(t.kind === 'eof' ? 'unexpected end of expression' : `unexpected ${JSON.stringify(t.text)}`, t.offset);
  }
}

/** Parse a CEL expression of the generated subset (throws CelSyntaxError). */
export function parseCel(source: string): CelNode {
  return new Parser(tokenize(source)).parseAll();
}

/** The direct sub-expressions of a node. */
export function children(n: CelNode): CelNode[] {
  switch (n.kind) {
    case 'literal':
    case 'ident':
      return [];
    case 'select':
      return [n.operand];
    case 'index':
      return [n.operand, n.index];
    case 'call':
      return n.target === undefined ? n.args : [n.target, ...n.args];
    case 'macro':
      return [n.range, ...n.args];
    case 'list':
      return n.items;
    case 'map':
      return n.entries.flat();
    case 'op':
      return n.args;
  }
}
