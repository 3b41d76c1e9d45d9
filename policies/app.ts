/**
 * The payments-platform reference policy set as an app. `main.ts` synthesizes it into dist/;
 * tests build it with their own output folder and clock.
 */
import { PortcullisApp, type PortcullisAppProps } from '../constructs';
import { config as defaultConfig, type TeamConfig } from './config';
import { imageProvenance, imageSignatures } from './image-signatures';
import { imageReferences } from './image-references';
import { hostIsolation } from './host-isolation';
import { requiredLabels } from './labels';
import { podSecurity } from './pod-security';
import { resourceDefaults, resourceLimits } from './resources';
import { seccompDefault } from './seccomp';

export function createReferenceApp(props: PortcullisAppProps = {}, config: TeamConfig = defaultConfig): PortcullisApp {
  const app = new PortcullisApp({
    name: config.appName,
    namespace: config.runtimeNamespace,
    runtime: { image: config.runtimeImage },
    exemptionHelp: config.exemptionHelp,
    // Alerts, PodMonitor and Grafana dashboard (35-observability.k8s.yaml); needs prometheus-operator.
    observability: {},
    // Validations CEL expresses exactly run inside the API server (45-native-policies.k8s.yaml,
    // Kubernetes 1.30+); signatures, mutations and the rest stay on the webhook.
    enforcement: 'hybrid',
    ...props,
  });
  // Mutating policies first (their order within a webhook is fixed by the engine contract anyway).
  resourceDefaults(app, config);
  seccompDefault(app, config);
  imageSignatures(app, config);
  imageProvenance(app, config);
  resourceLimits(app, config);
  podSecurity(app, config);
  imageReferences(app, config);
  hostIsolation(app, config);
  requiredLabels(app, config);
  return app;
}
