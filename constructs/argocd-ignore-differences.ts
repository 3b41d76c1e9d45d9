/**
 * The Argo CD `ignoreDifferences` entries a team needs when a policy opts in to mutating controllers'
 * pod templates (`mutateControllers` on DefaultResources / DefaultSeccomp): the webhook then adds
 * fields Git does not have, and without these entries the Application stays OutOfSync (or fights
 * the webhook with self-heal). Synth writes them as the annotation
 * `portcullis.dev/argocd-ignore-differences` on the MutatingWebhookConfiguration (dist/ holds only
 * Kubernetes objects, because Argo CD applies every `*.k8s.yaml` there); nothing is written when no
 * policy opts in.
 *
 * Each expression ignores a field only while it holds the value the webhook would have added (the
 * default in the API server's canonical form, canonical-quantity.ts): a change in Git to any other
 * value is still a difference, so ignoring the defaults never hides an edit. Values the webhook
 * derives from the container's own settings (a limit raised to an explicit request above the
 * default, a request lowered to an explicit limit below it) are not covered: set both in Git.
 * Pure: the same rules always give the same entries, in a stable order.
 */
import { CONTROLLER_KINDS, type Policy, type Rule, type Target } from '../runtime/bundle';
import { canonicalQuantity } from './canonical-quantity';

export const ARGOCD_IGNORE_DIFFERENCES_ANNOTATION = 'portcullis.dev/argocd-ignore-differences';

/** One entry of an Argo CD Application's `spec.ignoreDifferences`. */
export interface IgnoreDifferences {
  group: string;
  kind: string;
  jqPathExpressions: string[];
}

/** `/spec/template/spec` → `.spec.template.spec` (target paths are plain keys). */
function jqPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((k) => `.${k}`)
    .join('');
}

function expressionsOf(rule: Rule): string[] {
  const spec = jqPath(rule.target.podSpecPath);
  if (rule.type === 'defaultSeccomp') {
    return [`${spec}.securityContext.seccompProfile | select(.type == ${JSON.stringify(rule.profile)})`];
  }
  if (rule.type !== 'defaultResources') return [];
  const out: string[] = [];
  for (const list of ['containers', 'initContainers'] as const) {
    for (const block of ['limits', 'requests'] as const) {
      for (const resource of ['cpu', 'memory'] as const) {
        const text = rule[block][resource];
        const value = text === undefined ? undefined : canonicalQuantity(text);
        if (value === undefined) continue;
        out.push(`${spec}.${list}[]?.resources.${block}.${resource} | select(. == ${JSON.stringify(value)})`);
      }
    }
  }
  return out;
}

function isController(target: Target): boolean {
  return target.subresource === undefined && (CONTROLLER_KINDS as readonly string[]).includes(target.kind);
}

/** The entries for every controller template a policy's defaulting rules mutate, by kind. */
export function argoCdIgnoreDifferences(policies: readonly Policy[]): IgnoreDifferences[] {
  const byKind = new Map<string, { group: string; kind: string; expressions: Set<string> }>();
  for (const policy of policies) {
    for (const rule of policy.rules) {
      if (!isController(rule.target)) continue;
      const expressions = expressionsOf(rule);
      if (expressions.length === 0) continue;
      const { group, kind } = rule.target;
      let entry = byKind.get(kind);
      if (entry === undefined) byKind.set(kind, (entry = { group, kind, expressions: new Set() }));
      for (const e of expressions) entry.expressions.add(e);
    }
  }
  return CONTROLLER_KINDS.flatMap((kind) => {
    const e = byKind.get(kind);
    return e === undefined ? [] : [{ group: e.group, kind: e.kind, jqPathExpressions: [...e.expressions].sort() }];
  });
}
