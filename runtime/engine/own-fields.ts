/**
 * Reading fields of admitted objects safely: own properties only, so an object whose prototype was
 * tampered with, or that carries a `__proto__` key from JSON, never supplies a value it does not
 * itself hold. Pure.
 */
import { isRecord } from './pod-view';

/** The own property `key` of `obj` (undefined when `obj` is not an object or lacks it). */
export function ownField(obj: unknown, key: string): unknown {
  if (!isRecord(obj) || !Object.prototype.hasOwnProperty.call(obj, key)) return undefined;
  return obj[key];
}

/**
 * True when `obj` has an own property `key` with a value that JSON can carry (null included;
 * `undefined` counts as absent, as it does once serialized).
 */
export function hasOwnField(obj: unknown, key: string): boolean {
  return isRecord(obj) && Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined;
}

/** The own property as a record, or undefined. */
export function ownRecord(obj: unknown, key: string): Record<string, unknown> | undefined {
  const v = ownField(obj, key);
  return isRecord(v) ? v : undefined;
}

/** The own property as an array, or an empty array. */
export function ownArray(obj: unknown, key: string): unknown[] {
  const v = ownField(obj, key);
  return Array.isArray(v) ? v : [];
}

/** Render a value for a message: strings as written, everything else as JSON (bounded). */
export function showValue(v: unknown): string {
  const s = typeof v === 'string' ? v : v === undefined ? 'unset' : JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}
