/**
 * Validation of synthesized objects against published Kubernetes schemas, offline:
 * - `kubernetes-models` (generated from the Kubernetes OpenAPI spec): types, enums, required
 *   fields and formats; `@kubernetes-models/cert-manager` for cert-manager's CRDs;
 * - the Kubernetes 1.28 API field set as cdk8s-plus-28 imports it (`toJson_Kube*Props`, generated
 *   from the 1.28 OpenAPI spec): every field we write must exist in 1.28, so a misspelled or
 *   too-new field is caught (the OpenAPI-derived JSON Schemas allow unknown fields).
 */
import { createRequire } from 'node:module';

const load = createRequire(__filename);

export interface SchemaCheck {
  /** Problems found; empty when the object is valid. */
  problems: string[];
}

function modelPath(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group.endsWith('cert-manager.io')) return `@kubernetes-models/cert-manager/${group}/${version}/${kind}`;
  return group === '' ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

/** Validate with the kubernetes-models class for apiVersion/kind; unknown kinds are a problem. */
function validateModel(obj: { apiVersion: string; kind: string }): string[] {
  let mod: Record<string, new (data: unknown) => { validate(): void }>;
  try {
    mod = load(modelPath(obj.apiVersion, obj.kind)) as typeof mod;
  } catch {
    return [`no published schema for ${obj.apiVersion} ${obj.kind}`];
  }
  try {
    new mod[obj.kind](obj).validate();
    return [];
  } catch (err) {
    return [`${obj.apiVersion} ${obj.kind}: ${(err as Error).message}`];
  }
}

type ToJson = (obj: unknown) => unknown;
const k8s128 = load('cdk8s-plus-28/lib/imports/k8s.js') as Record<string, ToJson | undefined>;

/** cdk8s import property names: `setHostnameAsFQDN` is `setHostnameAsFqdn` there. */
function importName(key: string): string {
  return key.replace(/([A-Z])([A-Z]+)(?=[A-Z][a-z]|$)/g, (_, a: string, b: string) => a + b.toLowerCase());
}

/**
 * Give every primitive the shape the import's wrapper types read (`IntOrString`, `Quantity`:
 * `.value`) and every key its import name, so the import maps exactly the fields it knows.
 */
function asImportProps(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(asImportProps);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = asImportProps(x);
      const alias = importName(k);
      if (alias !== k) out[alias] = out[k];
    }
    return out;
  }
  return { value: v, toString: () => String(v) };
}

function missingKeys(input: unknown, mapped: unknown, path: string, out: string[]): void {
  if (Array.isArray(input)) {
    input.forEach((x, i) => missingKeys(x, Array.isArray(mapped) ? mapped[i] : undefined, `${path}[${i}]`, out));
    return;
  }
  if (input === null || typeof input !== 'object') return;
  for (const [k, v] of Object.entries(input)) {
    const m = mapped !== null && typeof mapped === 'object' ? (mapped as Record<string, unknown>)[k] : undefined;
    if (m === undefined) out.push(`${path}.${k}`);
    else missingKeys(v, m, `${path}.${k}`, out);
  }
}

/** Fields of a built-in object that Kubernetes 1.28 does not define. */
function unknownFields128(obj: { apiVersion: string; kind: string }): string[] {
  const version = obj.apiVersion.split('/').pop() ?? '';
  const fn = k8s128[`toJson_Kube${obj.kind}${version === 'v1' ? '' : version.toUpperCase()}Props`];
  if (fn === undefined) return [`${obj.apiVersion} ${obj.kind} is not in the Kubernetes 1.28 API`];
  const { apiVersion: _a, kind: _k, ...props } = obj as Record<string, unknown>;
  const out: string[] = [];
  missingKeys(props, fn(asImportProps(props)), '', out);
  return out.map((p) => `${obj.apiVersion} ${obj.kind}: field ${p} is not defined in Kubernetes 1.28`);
}

export function checkKubernetesObject(obj: { apiVersion: string; kind: string }): SchemaCheck {
  const problems = validateModel(obj);
  if (!obj.apiVersion.includes('cert-manager.io')) problems.push(...unknownFields128(obj));
  return { problems };
}
