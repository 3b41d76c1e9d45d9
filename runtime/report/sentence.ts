/**
 * Sentences for humans, kept structured until the last moment: a sentence is a list of segments,
 * plain text or a literal value (a name, an image glob, a path). The text renderer quotes literals,
 * the markdown renderer puts them in code spans and escapes the text around them.
 */
export type Segment = string | { code: string };
export type Sentence = readonly Segment[];

export function code(value: string): Segment {
  return { code: value };
}

/** `"a"`, `"a" and "b"`, `"a", "b" and "c"` as segments. */
export function codeList(values: readonly string[], conjunction = 'and'): Segment[] {
  const out: Segment[] = [];
  values.forEach((v, i) => {
    if (i > 0) out.push(i === values.length - 1 ? ` ${conjunction} ` : ', ');
    out.push(code(v));
  });
  return out;
}

/** Plain words joined the same way, without quoting (for enum-like values). */
export function wordList(values: readonly string[], conjunction = 'and'): string {
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} ${conjunction} ${values[values.length - 1]}`;
}

export function toText(sentence: Sentence): string {
  return sentence.map((s) => (typeof s === 'string' ? s : JSON.stringify(s.code))).join('');
}

const MARKDOWN_SPECIAL = /[\\`*_[\]<>|~]/g;

export function escapeMarkdown(text: string): string {
  return text.replace(MARKDOWN_SPECIAL, (c) => `\\${c}`);
}

/** A code span that survives backticks inside the value (CommonMark: a longer fence). */
export function codeSpan(value: string): string {
  const runs = value.match(/`+/g) ?? [];
  const longest = runs.reduce((m, r) => Math.max(m, r.length), 0);
  const fence = '`'.repeat(longest + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${value.replace(/\r?\n/g, ' ')}${pad}${fence}`;
}

export function toMarkdown(sentence: Sentence): string {
  return sentence.map((s) => (typeof s === 'string' ? escapeMarkdown(s) : codeSpan(s.code))).join('');
}
