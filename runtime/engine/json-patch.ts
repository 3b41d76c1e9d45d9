/**
 * RFC 6902 JSON Patch application for the operations the engine emits (add, replace, remove,
 * test), with RFC 6901 pointers. Pure: returns a new document and never touches the input.
 * Used between mutators (each sees the previous ones' result) and by the offline evaluator.
 */
import { decodePointer } from './pod-view';
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
  return decodePointer(pointer);
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

/**
 * A one-level copy of a container on a patched path (copy-on-write): arrays and plain objects are
 * copied member by member (an own `__proto__` member stays an own data member); anything else is
 * deep-copied with structuredClone.
 */
function shallowCopy(node: Container): Container {
  if (Array.isArray(node)) return Object.getPrototypeOf(node) === Array.prototype ? node.slice() : structuredClone(node);
  const proto: unknown = Object.getPrototypeOf(node);
  if (proto !== Object.prototype && proto !== null) return structuredClone(node);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(node)) {
    const v = node[key];
    if (key === '__proto__') Object.defineProperty(out, key, { value: v, writable: true, enumerable: true, configurable: true });
    else out[key] = v;
  }
  return out;
}

/** `node`, or (when copying on write and `node` is not ours yet) our copy of it. */
function ownedCopy(node: Container, own: Set<object> | undefined): Container {
  if (own === undefined || own.has(node)) return node;
  const copy = shallowCopy(node);
  own.add(copy);
  return copy;
}

/**
 * The value an add/replace inserts. Copy-on-write shares it: it is not in `own`, so a later
 * operation below it copies it before changing anything, and the operation's value stays intact.
 * A plain application works on a private copy of the document and copies the value into it.
 */
function inserted(op: JsonPatchOperation, own: Set<object> | undefined): unknown {
  return own === undefined ? structuredClone(op.value) : op.value;
}

function applyOne(doc: unknown, op: JsonPatchOperation, own?: Set<object>): unknown {
  const tokens = parsePointer(op.path);
  if (tokens.length === 0) {
    if (op.op === 'add' || op.op === 'replace') return inserted(op, own);
    if (op.op === 'test') {
      if (!deepEqualJson(doc, op.value)) throw new Error('test failed');
      return doc;
    }
    throw new Error('cannot remove the document root');
  }
  if (own !== undefined && isContainer(doc)) doc = ownedCopy(doc, own);
  let parent: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    let child: unknown;
    if (Array.isArray(parent)) {
      const i = arrayIndex(t, parent.length, false);
      child = parent[i];
      if (own !== undefined && isContainer(child)) parent[i] = child = ownedCopy(child, own);
    } else if (isContainer(parent) && Object.prototype.hasOwnProperty.call(parent, t)) {
      child = (parent as Record<string, unknown>)[t];
      if (own !== undefined && isContainer(child)) (parent as Record<string, unknown>)[t] = child = ownedCopy(child, own);
    } else throw new Error(`path does not exist at "${t}"`);
    parent = child;
  }
  if (!isContainer(parent)) throw new Error('parent is not an object or array');
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    switch (op.op) {
      case 'add':
        parent.splice(arrayIndex(last, parent.length, true), 0, inserted(op, own));
        break;
      case 'replace':
        parent[arrayIndex(last, parent.length, false)] = inserted(op, own);
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
      parent[last] = inserted(op, own);
      break;
    case 'replace':
      if (!has) throw new Error('path does not exist');
      parent[last] = inserted(op, own);
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

/** Apply `operations` in order to a copy of `document`. Throws JsonPatchError naming the failing op. */
export function applyJsonPatch(document: unknown, operations: readonly JsonPatchOperation[]): unknown {
  let doc = structuredClone(document);
  for (const op of operations) {
    try {
      doc = applyOne(doc, op);
    } catch (err) {
      throw new JsonPatchError(op, err instanceof Error ? err.message : String(err));
    }
  }
  return doc;
}

/**
 * Apply `operations` in order without touching `document`, copying only the containers on the
 * patched paths (copy-on-write); unpatched parts stay shared with `document`, so neither may be
 * modified afterwards except through this function with the same `own` set (the containers
 * already copied, which later operations may then modify in place). On a JsonPatchError the
 * copies may be partly patched; `document` never is.
 */
export function applyJsonPatchCopyOnWrite(document: unknown, operations: readonly JsonPatchOperation[], own: Set<object>): unknown {
  let doc = document;
  for (const op of operations) {
    try {
      doc = applyOne(doc, op, own);
    } catch (err) {
      throw new JsonPatchError(op, err instanceof Error ? err.message : String(err));
    }
  }
  return doc;
}
