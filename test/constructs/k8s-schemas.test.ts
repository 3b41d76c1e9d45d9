/** The schema checker itself must catch what it claims to catch (else the dist/ test proves nothing). */
import { describe, expect, it } from 'vitest';
import type { Json } from './helpers';
import { checkKubernetesObject } from './k8s-schemas';

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'x', namespace: 'y', labels: { 'app.kubernetes.io/name': 'x' } },
  spec: {
    selector: { matchLabels: { app: 'x' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'x' } },
      spec: {
        setHostnameAsFQDN: false,
        containers: [
          {
            name: 'app',
            image: 'registry.example.com/app:1',
            resources: { limits: { cpu: '500m', memory: '512Mi' } },
            readinessProbe: { httpGet: { path: '/readyz', port: 8443, scheme: 'HTTPS' } },
            securityContext: { readOnlyRootFilesystem: true },
          },
        ],
      },
    },
  },
});

describe('Kubernetes schema check', () => {
  it('accepts a valid Deployment (IntOrString, quantities, FQDN-style names)', () => {
    expect(checkKubernetesObject(deployment()).problems).toEqual([]);
  });
  it('rejects a misspelled field', () => {
    const d = deployment() as Json;
    d.spec.template.spec.containers[0].securityContext = { readOnlyRootFileSystem: true };
    expect(checkKubernetesObject(d).problems.join('\n')).toMatch(/field \.spec\.template\.spec\.containers\[0\]\.securityContext\.readOnlyRootFileSystem is not defined/);
  });
  it('rejects a wrong type and a bad enum value', () => {
    const d = deployment() as Json;
    d.spec.template.spec.containers[0].name = 7;
    d.spec.strategy.type = 'Sometimes';
    const text = checkKubernetesObject(d).problems.join('\n');
    expect(text).toMatch(/containers\/0\/name must be string/);
  });
  it('rejects kinds it has no schema for and cert-manager objects missing required fields', () => {
    expect(checkKubernetesObject({ apiVersion: 'example.com/v1', kind: 'Widget' }).problems).not.toEqual([]);
    const cert = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'c' }, spec: { dnsNames: ['a'] } };
    expect(checkKubernetesObject(cert).problems.join('\n')).toMatch(/must have required property/);
  });
});
