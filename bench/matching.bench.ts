/**
 * Matching cost on adversarial inputs: image globs with many stars against long names, `**` globs
 * against many segments, reference parsing of huge strings, host path normalization of long
 * traversal chains, and label patterns. Prints ns/op per input size; a linear matcher's ns/op
 * grows about 10× per 10× input, a catastrophically backtracking one explodes (or never finishes).
 *
 *   npm run bench -- matching
 */
import { performance } from 'node:perf_hooks';
import { matchesImageGlob, parseImageReference, tryParseImageReference, type ImageReference } from '../runtime/engine/image-ref';
import { exposesPath, normalizeHostPath } from '../runtime/engine/host-path';
import { compileAnchoredPattern } from '../runtime/engine/safe-regex';
import { parseQuantity } from '../runtime/engine/quantity';

function measure(label: string, fn: () => unknown, minMs = 200): number {
  for (let i = 0; i < 20; i++) fn(); // warm up
  let ops = 0;
  let sink = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 10; i++) sink += fn() ? 1 : 0;
    ops += 10;
    elapsed = performance.now() - start;
  }
  const ns = (elapsed * 1e6) / ops;
  process.stdout.write(`${label.padEnd(72)} ${ns.toFixed(0).padStart(12)} ns/op${sink < 0 ? '!' : ''}\n`);
  return ns;
}

/** A reference object the parser would never produce (too long), to stress the matcher alone. */
function fakeRef(repository: string): ImageReference {
  return { registry: 'r.example.com', repository, normalized: `r.example.com/${repository}` };
}

const sizes = [1_000, 10_000, 100_000];
const results: Record<string, number[]> = {};
function series(name: string, fn: (n: number) => () => unknown, ns: readonly number[] = sizes): void {
  results[name] = ns.map((n) => measure(`${name} n=${n}`, fn(n)));
}

process.stdout.write('-- everyday inputs\n');
measure('parseImageReference("nginx:1.25")', () => parseImageReference('nginx:1.25'));
measure('parseImageReference(ghcr.io/org/team/app:v1@sha256:…)', () =>
  parseImageReference(`ghcr.io/org/team/app:v1@sha256:${'a'.repeat(64)}`),
);
const everyday = parseImageReference('registry.example.com.evil.io/app:1');
measure('matchesImageGlob("registry.example.com/*", lookalike host)', () => matchesImageGlob('registry.example.com/*', everyday));
measure('matchesImageGlob("ghcr.io/org/**", 4 segments)', () => matchesImageGlob('ghcr.io/org/**', parseImageReference('ghcr.io/org/a/b/c')));
measure('normalizeHostPath("/var/log/../run/docker.sock")', () => normalizeHostPath('/var/log/../run/docker.sock'));
measure('parseQuantity("1.5Gi")', () => parseQuantity('1.5Gi'));

process.stdout.write('-- adversarial inputs (n = subject length)\n');
// Many stars, each piece almost-matching: the classic exponential case for regex translations.
series('glob r.example.com/a*a*…a*b (100 stars) vs "aaa…a" (no match)', (n) => {
  const glob = `r.example.com/${'a*'.repeat(100)}b`;
  const ref = fakeRef('a'.repeat(n));
  return () => matchesImageGlob(glob, ref);
});
series('glob r.example.com/*a*a*…*b (100 stars) vs "aaa…ab" (match)', (n) => {
  const glob = `r.example.com/${'*a'.repeat(100)}*b`;
  const ref = fakeRef(`${'a'.repeat(n)}b`);
  return () => matchesImageGlob(glob, ref);
});
series('glob r.example.com/*a*a*…(100)*c*b vs "aaa…ab" (fails late)', (n) => {
  const glob = `r.example.com/${'*a'.repeat(100)}*c*b`;
  const ref = fakeRef(`${'a'.repeat(n)}b`);
  return () => matchesImageGlob(glob, ref);
});
series('glob r.example.com/*aaaa…(50)b* vs "aaa…a" (no match)', (n) => {
  const glob = `r.example.com/*${'a'.repeat(50)}b*`;
  const ref = fakeRef('a'.repeat(n));
  return () => matchesImageGlob(glob, ref);
});
series('glob r.example.com/**/a/**/a/**/b vs n/10 segments "a/a/…/a"', (n) => {
  const glob = 'r.example.com/**/a/**/a/**/b';
  const ref = fakeRef(Array.from({ length: n / 10 }, () => 'a').join('/'));
  return () => matchesImageGlob(glob, ref);
});
series('glob *.*.*.example.com/** vs host of n chars (no match)', (n) => {
  const ref: ImageReference = { registry: `${'a.'.repeat(n / 2)}evil.io`, repository: 'x', normalized: '' };
  return () => matchesImageGlob('*.*.*.example.com/**', ref);
});
series('parseImageReference("a*a*…" n chars) (rejected)', (n) => {
  const s = 'a*'.repeat(n / 2);
  return () => tryParseImageReference(s);
});
series(
  'normalizeHostPath("/a/..//./…" n chars; 4096 is the cap)',
  (n) => {
    const p = '/a/..//./'.repeat(Math.floor(n / 9));
    return () => normalizeHostPath(p);
  },
  [400, 4000],
);
series('exposesPath(/var/run/…/ n chars, docker.sock)', (n) => {
  const p = `/var/run/${'x/'.repeat(n / 2)}`;
  return () => exposesPath(p, '/run/docker.sock');
});
{
  const re = compileAnchoredPattern('[a-z0-9]+(-[a-z0-9]+)*');
  measure('label pattern [a-z0-9]+(-[a-z0-9]+)* vs 63-char "a-a-…a_" (no match)', () => re.test(`${'a-'.repeat(31)}_`));
  measure('label pattern [a-z0-9]+(-[a-z0-9]+)* vs 63-char "aaaa…a_" (no match)', () => re.test(`${'a'.repeat(62)}_`));
}
measure('parseQuantity(64 digits)', () => parseQuantity('9'.repeat(64)));

process.stdout.write('-- growth per step of input size (10x steps: linear ≈ 10, quadratic ≈ 100; flat = rejected early)\n');
for (const [name, ns] of Object.entries(results)) {
  const growth = ns.slice(1).map((v, i) => (v / ns[i]).toFixed(1));
  process.stdout.write(`${name.padEnd(72)} ×${growth.join(', ×')}\n`);
}
