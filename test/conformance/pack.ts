/**
 * Builds (or checks) test/conformance/pss-upstream/fixtures.ndjson.gz from the upstream Pod
 * Security Admission fixtures folder (kubernetes/pod-security-admission `test/testdata`, the
 * commit named in pss-upstream/PROVENANCE.md): every `*.yaml` under it, content unchanged, in the
 * archive format of archive.ts. PROVENANCE.md, README.md and LICENSE are copied beside the archive
 * unchanged, not packed.
 *
 *   npx tsx test/conformance/pack.ts <upstream testdata folder>           # write the archive
 *   npx tsx test/conformance/pack.ts --check <upstream testdata folder>   # exit 1 unless identical
 *
 * The committed archive was made from a copy of that upstream folder at that commit; the cosign vectors in cosign-real/ are plain files
 * and need no packing.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeArchive, encodeArchive, readArchive, type ArchivedFile } from './archive';

export const PSS_ARCHIVE = path.join(__dirname, 'pss-upstream', 'fixtures.ndjson.gz');

function collect(root: string, dir = root, out: ArchivedFile[] = []): ArchivedFile[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      collect(root, full, out);
    } else if (entry.name.endsWith('.yaml')) {
      const bytes = readFileSync(full);
      const content = bytes.toString('utf8');
      if (!Buffer.from(content, 'utf8').equals(bytes)) throw new Error(`${full} is not valid UTF-8`);
      out.push({ path: path.relative(root, full).split(path.sep).join('/'), content });
    }
  }
  return out;
}

function main(argv: string[]): number {
  const check = argv[0] === '--check';
  const source = check ? argv[1] : argv[0];
  if (source === undefined || argv.length !== (check ? 2 : 1)) {
    process.stderr.write('usage: pack.ts [--check] <upstream pss testdata folder>\n');
    return 2;
  }
  const files = collect(path.resolve(source));
  if (files.length === 0) {
    process.stderr.write(`no *.yaml under ${source}\n`);
    return 2;
  }
  if (check) {
    const expected = decodeArchive(encodeArchive(files));
    const actual = readArchive(PSS_ARCHIVE);
    const differ = [...new Set([...expected.keys(), ...actual.keys()])].filter((p) => expected.get(p) !== actual.get(p));
    if (differ.length > 0) {
      process.stderr.write(`${differ.length} file(s) differ, e.g. ${differ.slice(0, 5).join(', ')}\n`);
      return 1;
    }
    process.stdout.write(`${PSS_ARCHIVE}: ${actual.size} files, identical to ${source}\n`);
    return 0;
  }
  const bytes = encodeArchive(files);
  writeFileSync(PSS_ARCHIVE, bytes);
  process.stdout.write(`${PSS_ARCHIVE}: ${files.length} files, ${bytes.length} bytes\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
