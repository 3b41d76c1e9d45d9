/**
 * Loading a bundle: parse, check the version, validate against the schema, check the references
 * between parts, and (optionally) verify the content hash. Returns typed data or a precise error
 * naming the JSON path and the reason. Used by the runtime at start and on every hot reload, by the
 * CLIs, and by synth before it writes anything.
 */
import { FormatRegistry } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { BUNDLE_API_VERSION, BUNDLE_KIND, BundleSchema, type AttestorSet, type Bundle } from './schema';
import { bundleHash, canonicalJson } from './canonical';
import { nativeCapable } from './native-rules';

/** A ConfigMap (data + metadata) must stay under 1 MiB; keep headroom for metadata. */
export const MAX_BUNDLE_BYTES = 1024 * 1024 - 16 * 1024;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)));
}

const compiled = TypeCompiler.Compile(BundleSchema);

export class BundleError extends Error {
  constructor(
    /** JSON Pointer of the offending value ("" for the whole document). */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`invalid rule bundle at ${path === '' ? '(root)' : path}: ${reason}`);
    this.name = 'BundleError';
  }
}

export interface LoadedBundle {
  bundle: Bundle;
  /** `sha256:<hex>` of the canonical form. */
  hash: string;
  /** Size of the canonical form in bytes. */
  size: number;
}

export interface LoadOptions {
  /** Refuse the bundle unless its hash equals this (the value of the pod-template annotation). */
  expectedHash?: string;
}

/** Validate an already-parsed value. Throws BundleError. */
export function validateBundle(value: unknown, options: LoadOptions = {}): LoadedBundle {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BundleError('', 'expected a JSON object');
  }
  const head = value as { apiVersion?: unknown; kind?: unknown };
  if (head.apiVersion !== BUNDLE_API_VERSION) {
    throw new BundleError(
      '/apiVersion',
      `unsupported apiVersion ${JSON.stringify(head.apiVersion)}; this runtime understands ${BUNDLE_API_VERSION}`,
    );
  }
  if (head.kind !== BUNDLE_KIND) {
    throw new BundleError('/kind', `expected kind ${BUNDLE_KIND}, got ${JSON.stringify(head.kind)}`);
  }
  const first = compiled.Errors(value).First();
  if (first !== undefined) {
    throw new BundleError(first.path, `${first.message} (got ${describe(first.value)})`);
  }
  const bundle = value as Bundle;
  checkReferences(bundle);
  const canonical = canonicalJson(bundle);
  const size = Buffer.byteLength(canonical);
  if (size > MAX_BUNDLE_BYTES) {
    throw new BundleError('', `bundle is ${size} bytes; a ConfigMap holds at most ${MAX_BUNDLE_BYTES} bytes of it`);
  }
  const hash = bundleHash(bundle);
  if (options.expectedHash !== undefined && options.expectedHash !== hash) {
    throw new BundleError('', `content hash ${hash} does not match the expected ${options.expectedHash}`);
  }
  return { bundle, hash, size };
}

/** Parse JSON text (or bytes) and validate it. Throws BundleError. */
export function loadBundle(text: string | Buffer, options: LoadOptions = {}): LoadedBundle {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof text === 'string' ? text : text.toString('utf8'));
  } catch (err) {
    throw new BundleError('', `not valid JSON: ${(err as Error).message}`);
  }
  return validateBundle(parsed, options);
}

function checkReferences(bundle: Bundle): void {
  const names = new Map<string, number>();
  bundle.policies.forEach((p, i) => {
    if (names.has(p.name)) throw new BundleError(`/policies/${i}/name`, `duplicate policy name "${p.name}"`);
    names.set(p.name, i);
    const ruleNames = new Set<string>();
    p.rules.forEach((r, j) => {
      if (ruleNames.has(r.name)) throw new BundleError(`/policies/${i}/rules/${j}/name`, `duplicate rule name "${r.name}"`);
      ruleNames.add(r.name);
      const attestorLists: Array<[string, AttestorSet[]]> = [];
      if (r.type === 'verifyImages') attestorLists.push([`/policies/${i}/rules/${j}/attestors`, r.attestors]);
      if (r.type === 'verifyAttestations') {
        r.attestations.forEach((a, n) => attestorLists.push([`/policies/${i}/rules/${j}/attestations/${n}/attestors`, a.attestors]));
      }
      for (const [at, sets] of attestorLists) {
        sets.forEach((set, k) => {
          if (set.count !== undefined && set.count > set.entries.length) {
            throw new BundleError(`${at}/${k}/count`, `count ${set.count} exceeds the ${set.entries.length} attestor(s) listed`);
          }
          set.entries.forEach((a, l) => {
            if (a.type === 'keyless' && a.trustedRoot !== undefined && !(a.trustedRoot in bundle.trust.trustedRoots)) {
              throw new BundleError(`${at}/${k}/entries/${l}/trustedRoot`, `unknown trusted root "${a.trustedRoot}"`);
            }
          });
        });
      }
    });
    p.nativeRules?.forEach((name, k) => {
      const rules = p.rules.filter((r) => (r.autogenFrom ?? r.name) === name);
      if (rules.length === 0) throw new BundleError(`/policies/${i}/nativeRules/${k}`, `unknown rule "${name}"`);
      const stays = rules.find((r) => !nativeCapable(r.type));
      if (stays !== undefined) throw new BundleError(`/policies/${i}/nativeRules/${k}`, `rule "${name}" (${stays.type}) cannot run as a ValidatingAdmissionPolicy: it mutates or calls a registry`);
    });
    for (const rule of Object.keys(p.webhookNamespaces ?? {})) {
      if (!(p.nativeRules ?? []).includes(rule)) throw new BundleError(`/policies/${i}/webhookNamespaces/${rule}`, `rule "${rule}" is not one of the policy's nativeRules`);
    }
  });
  const paths = new Set<string>();
  bundle.webhooks.forEach((w, i) => {
    if (paths.has(w.path)) throw new BundleError(`/webhooks/${i}/path`, `duplicate webhook path "${w.path}"`);
    paths.add(w.path);
    w.policies.forEach((name, j) => {
      if (!names.has(name)) throw new BundleError(`/webhooks/${i}/policies/${j}`, `unknown policy "${name}"`);
    });
  });
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return 'nothing';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
