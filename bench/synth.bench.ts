/**
 * Synth of the reference policy set: validation + bundle compilation + manifest writing
 * (`PortcullisApp.synth()`), in-process, median and max over repeated runs after warm-up, plus the
 * sizes of what it writes. The end-to-end `npm run synth` adds the cdk8s CLI and tsx start-up on
 * top (measure that with `time npm run synth`).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { canonicalJson } from '../runtime/bundle';
import { createReferenceApp } from '../policies/app';

const WARMUP = 3;
const RUNS = 20;

function once(): { ms: number; dir: string; canonicalBytes: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-bench-'));
  const t0 = process.hrtime.bigint();
  const app = createReferenceApp({ outdir: dir });
  app.synth();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, dir, canonicalBytes: Buffer.byteLength(canonicalJson(app.build().bundle)) };
}

for (let i = 0; i < WARMUP; i++) rmSync(once().dir, { recursive: true });
const times: number[] = [];
let last = once();
for (let i = 0; i < RUNS; i++) {
  rmSync(last.dir, { recursive: true });
  last = once();
  times.push(last.ms);
}
times.sort((a, b) => a - b);
const sizes = readdirSync(last.dir)
  .sort()
  .map((f) => `${f} ${statSync(path.join(last.dir, f)).size} B`);
console.log(`synth (reference set, in-process): median ${times[Math.floor(RUNS / 2)].toFixed(1)} ms, max ${times[RUNS - 1].toFixed(1)} ms over ${RUNS} runs`);
console.log(`bundle: ${last.canonicalBytes} B canonical (hashed), limit ${1024 * 1024 - 16 * 1024} B`);
console.log(`files: ${sizes.join(', ')}`);
rmSync(last.dir, { recursive: true });
