/**
 * Locating the pod inside an admitted object: a Pod itself, or a controller's pod template, as the
 * rule's Target says. Pure; returns undefined when the object has no pod spec where the target
 * says (the caller decides whether that is an error).
 */
import type { Target } from '../bundle';
import type { ContainerKind, ContainerRef, PodView } from './types';

const CONTAINER_KINDS: readonly ContainerKind[] = ['initContainers', 'containers', 'ephemeralContainers'];

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Decoded tokens per pointer string. The pointers read on the hot path are the bundle's few target
 * paths, so a small memo saves splitting and unescaping them on every rule of every request; it is
 * bounded (cleared when full) so arbitrary pointers cannot grow it. Tokens are never mutated.
 */
const POINTER_MEMO_MAX = 256;
const pointerTokens = new Map<string, readonly string[]>();

/** The decoded tokens of a non-empty JSON Pointer (RFC 6901: `~1` → `/`, `~0` → `~`), unchecked. */
export function decodePointer(pointer: string): string[] {
  const tokens = pointer.slice(1).split('/');
  return pointer.includes('~') ? tokens.map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~')) : tokens;
}

function tokensOf(pointer: string): readonly string[] {
  let tokens = pointerTokens.get(pointer);
  if (tokens === undefined) {
    tokens = decodePointer(pointer);
    if (pointerTokens.size >= POINTER_MEMO_MAX) pointerTokens.clear();
    pointerTokens.set(pointer, tokens);
  }
  return tokens;
}

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** Read a JSON Pointer (RFC 6901). */
export function getPointer(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let cur: unknown = root;
  for (const key of tokensOf(pointer)) {
    if (Array.isArray(cur)) {
      if (!ARRAY_INDEX.test(key)) return undefined;
      cur = cur[Number(key)];
    } else if (isRecord(cur)) {
      if (!Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
      cur = cur[key];
    } else {
      return undefined;
    }
  }
  return cur;
}

/** Escape one JSON Pointer token (RFC 6901: `~` → `~0`, `/` → `~1`). */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

const fieldMemo = new Map<string, string>();

/** `/spec/template/spec` → `spec.template.spec`. */
export function pointerToField(pointer: string): string {
  let field = fieldMemo.get(pointer);
  if (field === undefined) {
    field = decodePointer(pointer)
      .filter((t) => t !== '')
      .join('.');
    if (fieldMemo.size >= POINTER_MEMO_MAX) fieldMemo.clear();
    fieldMemo.set(pointer, field);
  }
  return field;
}

/**
 * One container of the view. Its pointer and dotted field path are built on first use: most rules
 * only read the container, and only findings and patches need the paths.
 */
class ContainerEntry implements ContainerRef {
  private pointerText: string | undefined;
  private fieldText: string | undefined;

  constructor(
    readonly kind: ContainerKind,
    readonly index: number,
    readonly name: string,
    readonly image: string,
    readonly container: Record<string, unknown>,
    private readonly specPointer: string,
    private readonly specField: string,
  ) {}

  get pointer(): string {
    return (this.pointerText ??= `${this.specPointer}/${this.kind}/${this.index}`);
  }

  get field(): string {
    return (this.fieldText ??= `${this.specField}.${this.kind}[${this.index}]`);
  }

  /** Serialized (logs, JSON output) with its paths, like a plain ContainerRef. */
  toJSON(): ContainerRef {
    const { kind, index, name, image, container, pointer, field } = this;
    return { kind, index, name, image, container, pointer, field };
  }
}

export function podView(object: unknown, target: Target): PodView | undefined {
  const spec = getPointer(object, target.podSpecPath);
  if (!isRecord(spec)) return undefined;
  const metadataRaw = getPointer(object, target.podMetadataPath);
  const metadata = isRecord(metadataRaw) ? metadataRaw : {};
  const specField = pointerToField(target.podSpecPath);
  const containers: ContainerRef[] = [];
  for (const kind of CONTAINER_KINDS) {
    const list = spec[kind];
    if (!Array.isArray(list)) continue;
    for (let index = 0; index < list.length; index += 1) {
      const c: unknown = list[index];
      if (!isRecord(c)) continue;
      const name = typeof c.name === 'string' ? c.name : `#${index}`;
      containers.push(new ContainerEntry(kind, index, name, typeof c.image === 'string' ? c.image : '', c, target.podSpecPath, specField));
    }
  }
  return {
    target,
    spec,
    metadata,
    specPointer: target.podSpecPath,
    specField,
    metadataPointer: target.podMetadataPath,
    metadataField: pointerToField(target.podMetadataPath),
    containers,
  };
}
