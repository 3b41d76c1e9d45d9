/**
 * `portcullis scan` end to end over a large `kubectl get -A -o yaml` List: the reference bundle
 * (dist/portcullis-bundle.json), the fixture cluster from test/cli/fixtures/cluster.ts copied into
 * COPIES sets of namespaces. Reports wall time, objects/s and workloads/s, and the process's peak
 * RSS before and after (scan keeps only per-workload findings, not the parsed objects). The command
 * runs in this process with stdout discarded; table output, then PolicyReport output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { command } from '../runtime/cli/scan-command';
import { buildCluster } from '../test/cli/fixtures/cluster';

const COPIES = Number(process.env.SCAN_BENCH_COPIES ?? 10);

function bigList(): { yaml: string; objects: number } {
  const base = buildCluster().list as { items: Array<Record<string, unknown>> };
  const items: unknown[] = [];
  for (let k = 0; k < COPIES; k += 1) {
    for (const item of base.items) {
      const text = JSON.stringify(item).replace(/"namespace":"([a-z-]+)"/g, (_, ns: string) =>
        ns === 'kube-system' || ns === 'portcullis-system' ? `"namespace":"${ns}"` : `"namespace":"${ns}-${k}"`,
      );
      const copy = JSON.parse(text) as { kind: string; metadata: { name: string; labels?: Record<string, string> } };
      if (copy.kind === 'Namespace') {
        if (copy.metadata.name === 'kube-system' || copy.metadata.name === 'portcullis-system') {
          if (k > 0) continue;
        } else {
          copy.metadata.name = `${copy.metadata.name}-${k}`;
        }
      }
      items.push(copy);
    }
  }
  return { yaml: stringify({ apiVersion: 'v1', kind: 'List', items }, { lineWidth: 0, aliasDuplicateObjects: false }), objects: items.length };
}

async function timed(args: string[]): Promise<{ ms: number; bytes: number; code: number }> {
  const write = process.stdout.write.bind(process.stdout);
  let bytes = 0;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return true;
  });
  const t0 = process.hrtime.bigint();
  try {
    const code = await command.run(args);
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes, code };
  } finally {
    process.stdout.write = write;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-scan-bench-'));
  try {
    const { yaml, objects } = bigList();
    const file = path.join(dir, 'cluster.yaml');
    writeFileSync(file, yaml);
    const rssBefore = process.resourceUsage().maxRSS / 1024;
    const bundle = path.resolve(__dirname, '../dist/portcullis-bundle.json');
    const table = await timed([file, '--bundle', bundle, '--now', '2026-11-23T00:00:00Z']);
    const reports = await timed([file, '--bundle', bundle, '--now', '2026-11-23T00:00:00Z', '-o', 'policyreport']);
    const rssAfter = process.resourceUsage().maxRSS / 1024;
    if (table.code === 2 || reports.code === 2) process.exitCode = 1;
    const workloads = 281 * COPIES;
    const line = (what: string, r: { ms: number; bytes: number; code: number }) =>
      `${what.padEnd(13)} ${r.ms.toFixed(0).padStart(6)} ms  ${((objects / r.ms) * 1000).toFixed(0).padStart(6)} objects/s  ${((workloads / r.ms) * 1000).toFixed(0).padStart(5)} workloads/s  output ${(r.bytes / 1024).toFixed(0)} KiB  exit ${r.code}`;
    process.stderr.write(
      [
        `scan: ${objects} objects (${workloads} workloads after folding), ${(Buffer.byteLength(yaml) / 1048576).toFixed(1)} MiB of YAML`,
        line('table', table),
        line('policyreport', reports),
        `peak RSS: ${rssBefore.toFixed(0)} MiB after generating the input (held in this process), ${rssAfter.toFixed(0)} MiB after both scans`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
