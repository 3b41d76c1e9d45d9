/**
 * The conformance archives' format: gzipped NDJSON, one `{"path","content"}` object per line,
 * sorted by path, `path` relative to the upstream folder with `/` separators, `content` the file's
 * exact UTF-8 text. Written by `pack.ts`, read by the conformance tests (node:zlib only). Inspect
 * one with `zcat pss-upstream/fixtures.ndjson.gz | head -1`.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';

export interface ArchivedFile {
  path: string;
  content: string;
}

/** Serializes files (sorted by path) to the archive bytes; deterministic for the same input. */
export function encodeArchive(files: readonly ArchivedFile[]): Buffer {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const ndjson = sorted.map((f) => JSON.stringify({ path: f.path, content: f.content })).join('\n') + '\n';
  return gzipSync(Buffer.from(ndjson, 'utf8'), { level: 9 });
}

/** Parses archive bytes; throws on a line that is not a `{path, content}` object or a duplicate path. */
export function decodeArchive(bytes: Buffer): Map<string, string> {
  const files = new Map<string, string>();
  const lines = gunzipSync(bytes).toString('utf8').split('\n');
  lines.forEach((line, i) => {
    if (line === '') return;
    const entry = JSON.parse(line) as Partial<ArchivedFile>;
    if (typeof entry.path !== 'string' || typeof entry.content !== 'string') {
      throw new Error(`archive line ${i + 1}: expected {"path": string, "content": string}`);
    }
    if (files.has(entry.path)) throw new Error(`archive line ${i + 1}: duplicate path ${entry.path}`);
    files.set(entry.path, entry.content);
  });
  return files;
}

/** Reads an archive file (a missing file throws ENOENT: conformance data must never be skipped). */
export function readArchive(file: string): Map<string, string> {
  return decodeArchive(readFileSync(file));
}
