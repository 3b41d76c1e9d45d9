/** Small pure helpers shared by the bundle-diff modules. */
import { createHash } from 'node:crypto';
import { canonicalJson, type Policy, type Rule } from '../bundle';
import { compareQuantities, parseQuantity } from '../engine/quantity';
import { code, type Segment } from './sentence';

/** `Policy "name"` at the start of a sentence. */
export function P(policy: Policy): Segment[] {
  return ['Policy ', code(policy.name)];
}
export function shortHash(v: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(v)).digest('hex').slice(0, 16)}`;
}

export function byName<T extends { name: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((i) => [i.name, i]));
}

export function sortedUnion(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort();
}

export function intersection(a: readonly string[], b: readonly string[]): string[] {
  return a.filter((x) => b.includes(x));
}

/** [added, removed], each sorted. */
export function setDiff(before: readonly string[], after: readonly string[]): [string[], string[]] {
  const b = new Set(before);
  const a = new Set(after);
  return [[...a].filter((x) => !b.has(x)).sort(), [...b].filter((x) => !a.has(x)).sort()];
}

export function withoutIdentity(rule: Rule): Record<string, unknown> {
  const { name: _n, autogenFrom: _a, target: _t, ...rest } = rule;
  return rest;
}

export function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return sortedUnion(Object.keys(a), Object.keys(b)).filter((k) => canonicalJson(a[k] ?? null) !== canonicalJson(b[k] ?? null));
}

/** Compare two Kubernetes quantities with the engine's parser (unparseable ones compare equal). */
export function compareQuantity(a: string, b: string): number {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  return x.ok && y.ok ? compareQuantities(x.quantity, y.quantity) : 0;
}
