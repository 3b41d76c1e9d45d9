/**
 * Streaming the scan input: lines → documents (YAML `---` separators, or one JSON value) → objects
 * (a `v1 List`, a JSON array, or an AdmissionReview expand to their items). Only one document's
 * text is held at a time, and a YAML List — `kubectl get -A -o yaml` prints one List document for
 * the whole cluster — is cut into its items at the text level, so only one item is ever parsed at a
 * time. (A JSON List, `-o json`, is parsed whole: JSON.parse is fast, but memory grows with it.)
 */
import { CORE_SCHEMA, load } from 'js-yaml';
import { parse } from 'yaml';
import { isRecord } from '../engine/pod-view';

function meaningful(lines: readonly string[]): boolean {
  return lines.some((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
}

/**
 * Split lines into parse units: one per YAML document (markers `---`, `...`), except that a List
 * document yields one unit per item of its top-level `items:` sequence.
 */
export async function* documentTexts(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let buf: string[] = [];
  for await (const line of lines) {
    if (/^---(\s|$)/.test(line)) {
      if (meaningful(buf)) yield* listUnits(buf);
      buf = [];
      const rest = line.slice(3).trim();
      if (rest !== '' && !rest.startsWith('#')) buf.push(rest);
    } else if (/^\.\.\.\s*$/.test(line)) {
      if (meaningful(buf)) yield* listUnits(buf);
      buf = [];
    } else if (!(buf.length === 0 && line.startsWith('%'))) {
      buf.push(line);
    }
  }
  if (meaningful(buf)) yield* listUnits(buf);
}

/**
 * A document whose top-level `items:` is a block sequence and whose other keys say `kind: …List`
 * yields each item's text, de-indented; any other document yields itself. YAML requires an item's
 * continuation lines to be indented past its `- `, so a line at or left of the dash that is not a
 * new `- ` ends the sequence.
 */
export function* listUnits(lines: readonly string[]): Generator<string> {
  const whole = () => lines.join('\n');
  const start = lines.findIndex((l) => /^items:\s*(#.*)?$/.test(l));
  if (start < 0) {
    yield whole();
    return;
  }
  let first = start + 1;
  while (first < lines.length && !meaningful([lines[first]])) first += 1;
  const dash = first < lines.length ? /^( *)-( |$)/.exec(lines[first]) : null;
  if (dash === null) {
    yield whole();
    return;
  }
  const indent = dash[1];
  const items: Array<[number, number]> = [];
  let current = -1;
  let end = first;
  for (; end < lines.length; end += 1) {
    const l = lines[end];
    if (l.startsWith(`${indent}- `) || l === `${indent}-`) {
      if (current >= 0) items.push([current, end]);
      current = end;
    } else if (!(l.trim() === '' || l.startsWith(`${indent}  `) || l.trimStart().startsWith('#'))) {
      break;
    }
  }
  if (current >= 0) items.push([current, end]);
  let skeleton: unknown;
  try {
    skeleton = parseDocument([...lines.slice(0, start), ...lines.slice(end)].join('\n'));
  } catch {
    yield whole();
    return;
  }
  if (!isRecord(skeleton) || typeof skeleton.kind !== 'string' || !skeleton.kind.endsWith('List')) {
    yield whole();
    return;
  }
  const cut = indent.length + 2;
  for (const [a, b] of items) {
    yield lines
      .slice(a, b)
      .map((l) => (l.length <= cut || l.trimStart().startsWith('#') ? '' : l.slice(cut)))
      .join('\n');
  }
}

/** An anchor (`&name`) where a YAML node may start: the document may use aliases. */
const ANCHOR = /(^|[\s[{,:-])&[^\s,[\]{}]/m;

/**
 * Parse one document: JSON when it starts with `{` or `[` and is JSON; YAML (1.2 core schema: no timestamps,
 * no custom tags) otherwise. js-yaml is the fast path (kubectl output has no anchors); a document
 * that may use anchors goes through the `yaml` library, which bounds alias expansion.
 */
export function parseDocument(text: string): unknown {
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // a YAML flow collection, not JSON: fall through
    }
  }
  if (ANCHOR.test(text)) return parse(text, { maxAliasCount: 100 }) as unknown;
  return load(text, { schema: CORE_SCHEMA });
}

/** The objects a document holds: List items, array elements, an AdmissionReview's object, or itself. */
export function* objectsOf(doc: unknown): Generator<unknown> {
  if (doc === null || doc === undefined) return;
  if (Array.isArray(doc)) {
    for (const d of doc) yield* objectsOf(d);
    return;
  }
  if (isRecord(doc) && typeof doc.kind === 'string') {
    if (doc.kind.endsWith('List') && Array.isArray(doc.items)) {
      const items = doc.items;
      for (let i = 0; i < items.length; i += 1) {
        const item: unknown = items[i];
        items[i] = undefined; // release as we go
        yield* objectsOf(item);
      }
      return;
    }
    if (doc.kind === 'AdmissionReview' && isRecord(doc.request)) {
      yield doc.request.object;
      return;
    }
  }
  yield doc;
}
