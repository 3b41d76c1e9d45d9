/**
 * RFC 6902 JSON Patch application for the operations the engine emits (add, replace, remove,
 * test), with RFC 6901 pointers. Pure: returns a new document and never touches the input.
 * Used between mutators (each sees the previous ones' result) and by the offline evaluator.
 */
import type { JsonPatchOperation } from './types';

export class JsonPatchError extends Error {
  constructor(
    readonly operation: JsonPatchOperation,
    reason: string,
  ) {
    super(`cannot apply ${operation.op} ${operation.path}: ${reason}`);
    this.name = 'JsonPatchError';
  }
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`JSON Pointer must start with "/": ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return v !== null && typeof v === 'object';
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number {
  if (token === '-' && allowEnd) return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new Error(`invalid array index "${token}"`);
  const i = Number(token);
  if (i > length || (!allowEnd && i >= length)) throw new Error(`array index ${i} out of bounds`);
  return i;
}

function deepEqualJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function applyOne(doc: unknown, op: JsonPatchOperation): unknown {
  const tokens = parsePointer(op.path);
  if (tokens.length === 0) {
    if (op.op === 'add' || op.op === 'replace') return structuredClone(op.value);
    if (op.op === 'test') {
      if (!deepEqualJson(doc, op.value)) throw new Error('test failed');
      return doc;
    }
    throw new Error('cannot remove the document root');
  }
  let parent: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(parent)) parent = parent[arrayIndex(t, parent.length, false)];
    else if (isContainer(parent) && Object.prototype.hasOwnProperty.call(parent, t)) parent = (parent as Record<string, unknown>)[t];
    else throw new Error(`path does not exist at "${t}"`);
  }
  if (!isContainer(parent)) throw new Error('parent is not an object or array');
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    switch (op.op) {
      case 'add':
        parent.splice(arrayIndex(last, parent.length, true), 0, structuredClone(op.value));
        break;
      case 'replace':
        parent[arrayIndex(last, parent.length, false)] = structuredClone(op.value);
        break;
      case 'remove':
        parent.splice(arrayIndex(last, parent.length, false), 1);
        break;
      case 'test':
        if (!deepEqualJson(parent[arrayIndex(last, parent.length, false)], op.value)) throw new Error('test failed');
        break;
    }
    return doc;
  }
  const has = Object.prototype.hasOwnProperty.call(parent, last);
  switch (op.op) {
    case 'add':
      parent[last] = structuredClone(op.value);
      break;
    case 'replace':
      if (!has) throw new Error('path does not exist');
      parent[last] = structuredClone(op.value);
      break;
    case 'remove':
      if (!has) throw new Error('path does not exist');
      delete parent[last];
      break;
    case 'test':
      if (!has || !deepEqualJson(parent[last], op.value)) throw new Error('test failed');
      break;
  }
  return doc;
}

/**
 * A deep copy of a JSON document (plain objects, arrays, primitives), several times faster than
 * structuredClone for the objects admission carries. Own `__proto__` members (as JSON.parse makes
 * them) stay own data members; a null-prototype object becomes a plain one, as with structuredClone. Anything that is not plain JSON (a Date, a Map, a class instance)
 * is copied by structuredClone, so the result is always what structuredClone would give.
 */
export function cloneJson<T>(value: T): T {
  if (typeof value === 'function' || typeof value === 'symbol') return structuredClone(value); // throws, as structuredClone does
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return structuredClone(value);
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i += 1) out[i] = cloneJson(value[i] as unknown);
    return out as T;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = cloneJson((value as Record<string, unknown>)[key]);
    if (key === '__proto__') Object.defineProperty(out, key, { value: v, writable: true, enumerable: true, configurable: true });
    else out[key] = v;
  }
  return out as T;
}

/** Apply `operations` in order to a copy of `document`. Throws JsonPatchError naming the failing op. */
export function applyJsonPatch(document: unknown, operations: readonly JsonPatchOperation[]): unknown {
  return applyJsonPatchInPlace(structuredClone(document), operations);
}

/**
 * Apply `operations` in order to `document` itself (which must be the caller's own copy) and
 * return the result (a new value only when an operation replaces the root). Values are copied in,
 * never shared with the operations. On a JsonPatchError the document may be partly patched.
 */
export function applyJsonPatchInPlace(document: unknown, operations: readonly JsonPatchOperation[]): unknown {
  let doc = document;
  for (const op of operations) {
    try {
      doc = applyOne(doc, op);
    } catch (err) {
      throw new JsonPatchError(op, err instanceof Error ? err.message : String(err));
    }
  }
  return doc;
}
