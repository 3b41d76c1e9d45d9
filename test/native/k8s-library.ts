/**
 * Kubernetes CEL library functions that @marcbachmann/cel-js lacks, supplied to the test harness
 * only (the API server has them; https://kubernetes.io/docs/reference/using-api/cel/):
 * - lists library: `<list>.indexOf(<T>) <int>`, the index of the first element equal to the
 *   argument (CEL equality: deep for lists and maps), -1 when there is none;
 * - regex library: `<string>.find(<regex>) <string>`, the first match, "" when none. The patterns
 *   the generators pass are plain RE2 that JavaScript reads alike (anchors, classes, `?`, `*`).
 */
import type { Environment } from '@marcbachmann/cel-js';

/** CEL equality of JSON-like values (numbers: bigint and number compare by value). */
export function celEquals(a: unknown, b: unknown): boolean {
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return Number(a) === Number(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => celEquals(x, b[i]));
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    return [...a.entries()].every(([k, v]) => b.has(k) && celEquals(v, b.get(k)));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && celEquals(ra[k], rb[k]));
  }
  return a === b;
}

export function registerKubernetesLibraries(env: Environment): Environment {
  return env
    .registerFunction('list.indexOf(dyn): int', (list: unknown[], x: unknown) => BigInt(list.findIndex((y) => celEquals(y, x))))
    .registerFunction('string.find(string): string', (s: string, re: string) => new RegExp(re, 'u').exec(s)?.[0] ?? '');
}
