/**
 * Reading what the offline CLIs evaluate: Kubernetes manifests (multi-document YAML or JSON, `List`
 * objects expanded) and AdmissionReview JSON, turned into the engine's AdmissionInput. Shared by
 * `portcullis test` and `portcullis scan`. Side effects (file reads) live in `readInputFiles`;
 * everything else is pure.
 *
 * - A manifest becomes a CREATE of that object in its `metadata.namespace` (default `default`).
 * - An AdmissionReview (`admission.k8s.io/v1`) is used as the API server sent it: operation,
 *   subresource, oldObject, dryRun and all.
 * - `Namespace` documents are not evaluated; their labels (plus the `kubernetes.io/metadata.name`
 *   label the API server sets on every namespace) become the namespace labels of the resources in
 *   that namespace, so namespace selectors in policies and exemptions work offline. Labels given
 *   on the command line are merged over them.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CONTROLLER_TARGETS, POD_TARGET } from '../bundle';
import { isRecord } from '../engine/pod-view';
import type { AdmissionInput, AdmissionOperation } from '../engine/types';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export interface InputDocument {
  /** `file.yaml#2` (1-based document index) for messages. */
  source: string;
  input: AdmissionInput;
  /** What to call it in reports. */
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface InputOptions {
  /** Labels merged over every namespace's labels (`--namespace-labels`). */
  namespaceLabels?: Record<string, string>;
  /** Namespace for manifests that name none (kubectl's default: `default`). */
  defaultNamespace?: string;
}

const KNOWN_RESOURCES: Record<string, { group: string; resource: string }> = {
  [POD_TARGET.kind]: { group: POD_TARGET.group, resource: POD_TARGET.resource },
  ...Object.fromEntries(Object.values(CONTROLLER_TARGETS).map((t) => [t.kind, { group: t.group, resource: t.resource }])),
};

const OPERATIONS: readonly AdmissionOperation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

/** `a=b,c=d` → `{a: 'b', c: 'd'}`. Throws InputError on malformed pairs. */
export function parseLabelList(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new InputError(`invalid label "${part}" (expected key=value)`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Parse one file's text into raw documents (YAML or JSON; `List` kinds expanded). */
export function parseDocuments(text: string, file: string): Array<{ source: string; doc: Record<string, unknown> }> {
  const out: Array<{ source: string; doc: Record<string, unknown> }> = [];
  const docs = parseAllDocuments(text, { uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((d, i) => {
    if (d.errors.length > 0) throw new InputError(`${file}#${i + 1}: ${d.errors[0].message}`);
    const value: unknown = d.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    if (!isRecord(value)) throw new InputError(`${file}#${i + 1}: expected a Kubernetes object, got ${Array.isArray(value) ? 'a list' : typeof value}`);
    const source = `${file}#${i + 1}`;
    if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      value.items.forEach((item: unknown, j) => {
        if (!isRecord(item)) throw new InputError(`${source} items[${j}]: expected a Kubernetes object`);
        out.push({ source: `${source}.items[${j}]`, doc: item });
      });
    } else {
      out.push({ source, doc: value });
    }
  });
  return out;
}

function fromAdmissionReview(doc: Record<string, unknown>, source: string): InputDocument {
  const req = doc.request;
  if (!isRecord(req)) throw new InputError(`${source}: AdmissionReview without a request`);
  const kind = req.kind;
  const resource = req.resource;
  if (!isRecord(kind) || typeof kind.kind !== 'string' || !isRecord(resource) || typeof resource.resource !== 'string') {
    throw new InputError(`${source}: AdmissionReview request needs kind and resource`);
  }
  const operation = req.operation;
  if (typeof operation !== 'string' || !(OPERATIONS as readonly string[]).includes(operation)) {
    throw new InputError(`${source}: AdmissionReview request has an unknown operation ${JSON.stringify(operation)}`);
  }
  const object = req.object ?? undefined;
  const meta = isRecord(object) && isRecord(object.metadata) ? object.metadata : {};
  const input: AdmissionInput = {
    uid: str(req.uid) ?? source,
    kind: { group: typeof kind.group === 'string' ? kind.group : '', version: str(kind.version) ?? 'v1', kind: kind.kind },
    resource: {
      group: typeof resource.group === 'string' ? resource.group : '',
      version: str(resource.version) ?? 'v1',
      resource: resource.resource,
    },
    operation: operation as AdmissionOperation,
    object,
  };
  const sub = str(req.subResource);
  if (sub !== undefined) input.subResource = sub;
  const ns = str(req.namespace) ?? str(meta.namespace);
  if (ns !== undefined) input.namespace = ns;
  const name = str(req.name) ?? str(meta.name);
  if (name !== undefined) input.name = name;
  if (req.oldObject !== undefined && req.oldObject !== null) input.oldObject = req.oldObject;
  if (req.dryRun === true) input.dryRun = true;
  const groupVersion = input.kind.group === '' ? input.kind.version : `${input.kind.group}/${input.kind.version}`;
  const out: InputDocument = { source, input, apiVersion: groupVersion, kind: input.kind.kind, name: name ?? '(unnamed)' };
  if (ns !== undefined) out.namespace = ns;
  return out;
}

function fromManifest(doc: Record<string, unknown>, source: string, defaultNamespace: string): InputDocument {
  const apiVersion = str(doc.apiVersion);
  const kind = str(doc.kind);
  if (apiVersion === undefined || kind === undefined) throw new InputError(`${source}: a manifest needs apiVersion and kind`);
  const meta = isRecord(doc.metadata) ? doc.metadata : {};
  const name = str(meta.name) ?? str(meta.generateName) ?? '(unnamed)';
  const namespace = str(meta.namespace) ?? defaultNamespace;
  const gv = splitApiVersion(apiVersion);
  const known = KNOWN_RESOURCES[kind];
  const resource = known !== undefined && known.group === gv.group ? known.resource : `${kind.toLowerCase()}s`;
  const input: AdmissionInput = {
    uid: source,
    kind: { group: gv.group, version: gv.version, kind },
    resource: { group: gv.group, version: gv.version, resource },
    operation: 'CREATE',
    namespace,
    name,
    object: doc,
  };
  return { source, input, apiVersion, kind, namespace, name };
}

function isAdmissionReview(doc: Record<string, unknown>): boolean {
  return doc.kind === 'AdmissionReview' && typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('admission.k8s.io/');
}

/**
 * Turn parsed documents into evaluation inputs (pure). Namespace documents feed namespace labels and
 * are not returned.
 */
export function toInputs(
  docs: ReadonlyArray<{ source: string; doc: Record<string, unknown> }>,
  options: InputOptions = {},
): InputDocument[] {
  const nsLabels = new Map<string, Record<string, string>>();
  for (const { doc } of docs) {
    if (doc.kind !== 'Namespace' || doc.apiVersion !== 'v1' || !isRecord(doc.metadata)) continue;
    const name = str(doc.metadata.name);
    if (name === undefined) continue;
    const labels: Record<string, string> = {};
    if (isRecord(doc.metadata.labels)) {
      for (const [k, v] of Object.entries(doc.metadata.labels)) if (typeof v === 'string') labels[k] = v;
    }
    nsLabels.set(name, labels);
  }
  const out: InputDocument[] = [];
  for (const { source, doc } of docs) {
    if (doc.kind === 'Namespace' && doc.apiVersion === 'v1') continue;
    const item = isAdmissionReview(doc) ? fromAdmissionReview(doc, source) : fromManifest(doc, source, options.defaultNamespace ?? 'default');
    const ns = item.input.namespace;
    if (ns !== undefined && (nsLabels.has(ns) || options.namespaceLabels !== undefined)) {
      item.input.namespaceLabels = {
        'kubernetes.io/metadata.name': ns,
        ...(nsLabels.get(ns) ?? {}),
        ...(options.namespaceLabels ?? {}),
      };
    }
    out.push(item);
  }
  return out;
}

/** Expand directories into their *.yaml, *.yml and *.json files (sorted). Throws InputError for missing paths. */
export function expandInputPaths(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new InputError(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      for (const f of readdirSync(p).sort()) if (/\.(ya?ml|json)$/.test(f)) files.push(path.join(p, f));
    } else {
      files.push(p);
    }
  }
  return files;
}

/** Read every file (directories expanded) into evaluation inputs. */
export function readInputFiles(paths: readonly string[], options: InputOptions = {}): InputDocument[] {
  const docs = expandInputPaths(paths).flatMap((f) => parseDocuments(readFileSync(f, 'utf8'), f));
  return toInputs(docs, options);
}
