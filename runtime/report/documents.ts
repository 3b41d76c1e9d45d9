/**
 * Streaming the scan input: lines → documents (YAML `---` separators, or one JSON value) → objects
 * (a `v1 List` from `kubectl get -o yaml|json`, a JSON array, or an AdmissionReview expand to their
 * items). Only one document is held at a time; `kubectl get -A -o yaml` prints one List document,
 * which is parsed whole (an 11 MiB List of 8,000 objects parses in about 0.4 s) and then released
 * item by item.
 */
import { CORE_SCHEMA, load } from 'js-yaml';
import { parse } from 'yaml';
import { isRecord } from '../engine/pod-view';

export class DocumentError extends Error {
  constructor(
    readonly source: string,
    readonly index: number,
    reason: string,
  ) {
    super(`${source}: document ${index + 1}: ${reason}`);
    this.name = 'DocumentError';
  }
}

/** Split lines into document texts at YAML document markers (`---`, `...`). */
export async function* documentTexts(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let buf: string[] = [];
  for await (const line of lines) {
    if (/^---(\s|$)/.test(line)) {
      if (buf.some((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))) yield buf.join('\n');
      buf = [];
      const rest = line.slice(3).trim();
      if (rest !== '' && !rest.startsWith('#')) buf.push(rest);
    } else if (/^\.\.\.\s*$/.test(line)) {
      if (buf.length > 0) yield buf.join('\n');
      buf = [];
    } else if (!(buf.length === 0 && line.startsWith('%'))) {
      buf.push(line);
    }
  }
  if (buf.some((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))) yield buf.join('\n');
}

/** An anchor (`&name`) where a YAML node may start: the document may use aliases. */
const ANCHOR = /(^|[\s[{,:-])&[^\s,[\]{}]/m;

/**
 * Parse one document: JSON when it starts with `{` or `[`; YAML (1.2 core schema: no timestamps,
 * no custom tags) otherwise. js-yaml is the fast path (kubectl output has no anchors); a document
 * that may use anchors goes through the `yaml` library, which bounds alias expansion.
 */
export function parseDocument(text: string): unknown {
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') return JSON.parse(text) as unknown;
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
