/**
 * Argo CD sync waves: namespace and service account first, TLS next, then the bundle, Deployment,
 * Service, PDB and HPA, and the webhook configurations last — so they never point at nothing, and a
 * prune (reverse order) removes them first.
 */
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

export const SyncWave = {
  NAMESPACE: 0,
  TLS: 1,
  RUNTIME: 2,
  WEBHOOKS: 3,
} as const;

/** Annotate every API object under `scope` with the wave. */
export function applySyncWave(scope: Construct, wave: number): void {
  for (const c of scope.node.findAll()) {
    if (c instanceof ApiObject) c.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(wave));
  }
}
