/**
 * The ValidatingAdmissionPolicies of a synthesized dist/ (45-native-policies.k8s.yaml), paired with
 * their bindings, and what they decide for one request (cel-harness.ts, as the API server does).
 * Used by the example and round-trip tests and by scripts/native-decision.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { NativeObjects } from '../../runtime/native';
import { evaluateNative, type NativeRequest } from './cel-harness';

type Obj = { kind: string; metadata: { name: string }; spec?: { policyName?: string; validationActions?: string[] } };

/** Every policy + binding pair of `distDir` (none when the file is absent), by policy name. */
export function distNativePolicies(distDir: string): Map<string, NativeObjects & { validationActions: string[] }> {
  const file = path.join(distDir, '45-native-policies.k8s.yaml');
  const objects = existsSync(file) ? parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Obj) : [];
  const out = new Map<string, NativeObjects & { validationActions: string[] }>();
  for (const policy of objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy')) {
    const binding = objects.find((o) => o.kind === 'ValidatingAdmissionPolicyBinding' && o.spec?.policyName === policy.metadata.name);
    if (binding !== undefined) out.set(policy.metadata.name, { policy, binding, validationActions: binding.spec?.validationActions ?? [] });
  }
  return out;
}

export interface NativeFailure {
  policy: string;
  validationActions: string[];
  message: string;
}

/** The failed validations of every policy of `distDir` for the request. */
export function nativeFailures(distDir: string, request: NativeRequest): NativeFailure[] {
  const out: NativeFailure[] = [];
  for (const [name, objects] of distNativePolicies(distDir)) {
    for (const f of evaluateNative(objects, request).failures) out.push({ policy: name, validationActions: objects.validationActions, message: f.message });
  }
  return out;
}
