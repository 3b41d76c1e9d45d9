/**
 * The Mutating- and ValidatingWebhookConfiguration, one webhook entry per bundle `webhooks[]`
 * entry (same name, path, selectors and rules). Cluster-scoped, so the chart has no namespace.
 * With cert-manager, `cert-manager.io/inject-ca-from` asks its cainjector to fill `caBundle`, which
 * is therefore absent here (no drift for Argo CD); with a provided CA, `caBundle` is that bundle.
 * When a policy opts in to mutating controllers' templates, the MutatingWebhookConfiguration
 * carries the Argo CD `ignoreDifferences` entries that drift needs (argocd-ignore-differences.ts).
 */
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { Policy, Webhook } from '../runtime/bundle';
import { ARGOCD_IGNORE_DIFFERENCES_ANNOTATION, argoCdIgnoreDifferences } from './argocd-ignore-differences';
import { APP_LABELS } from './labels';
import { applySyncWave, SyncWave } from './sync-waves';
import { SERVING_CERTIFICATE, type TlsOptions } from './tls';

export interface WebhooksChartProps {
  readonly webhooks: readonly Webhook[];
  /** The bundle's policies (for the Argo CD ignoreDifferences of opted-in controller mutation). */
  readonly policies: readonly Policy[];
  readonly namespace: string;
  readonly serviceName: string;
  readonly tls: TlsOptions;
}

export const MUTATING_CONFIGURATION = 'portcullis-mutating';
export const VALIDATING_CONFIGURATION = 'portcullis-validating';

export class WebhooksChart extends Chart {
  constructor(scope: Construct, id: string, props: WebhooksChartProps) {
    super(scope, id, { labels: { ...APP_LABELS } });
    const annotations: Record<string, string> =
      props.tls.mode === 'cert-manager' ? { 'cert-manager.io/inject-ca-from': `${props.namespace}/${SERVING_CERTIFICATE}` } : {};
    const entry = (w: Webhook): Record<string, unknown> => {
      const clientConfig: Record<string, unknown> = {
        service: { name: props.serviceName, namespace: props.namespace, path: w.path, port: 443 },
      };
      if (props.tls.mode === 'provided') clientConfig.caBundle = Buffer.from(props.tls.caBundlePem).toString('base64');
      const out: Record<string, unknown> = {
        name: w.name,
        admissionReviewVersions: ['v1'],
        clientConfig,
        failurePolicy: w.failurePolicy,
        matchPolicy: 'Equivalent',
        namespaceSelector: w.namespaceSelector,
        rules: w.rules.map((r) => ({ ...r, scope: 'Namespaced' })),
        sideEffects: 'None',
        timeoutSeconds: w.timeoutSeconds,
      };
      if (w.objectSelector !== undefined) out.objectSelector = w.objectSelector;
      if (w.type === 'mutating') out.reinvocationPolicy = 'IfNeeded';
      return out;
    };
    const mutating = props.webhooks.filter((w) => w.type === 'mutating');
    const validating = props.webhooks.filter((w) => w.type === 'validating');
    if (mutating.length > 0) {
      new ApiObject(this, 'mutating', {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: MUTATING_CONFIGURATION, annotations: { ...annotations, ...ignoreDifferencesAnnotation(props.policies) } },
        webhooks: mutating.map(entry),
      });
    }
    if (validating.length > 0) {
      new ApiObject(this, 'validating', {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: VALIDATING_CONFIGURATION, annotations },
        webhooks: validating.map(entry),
      });
    }
    applySyncWave(this, SyncWave.WEBHOOKS);
  }
}

/** The annotation, as YAML to paste under an Application's `spec.ignoreDifferences`; none when nothing opts in. */
function ignoreDifferencesAnnotation(policies: readonly Policy[]): Record<string, string> {
  const entries = argoCdIgnoreDifferences(policies);
  if (entries.length === 0) return {};
  return { [ARGOCD_IGNORE_DIFFERENCES_ANNOTATION]: stringify(entries, { lineWidth: 0 }) };
}
