/**
 * TLS for the webhook Service. Default: cert-manager issues a private CA (self-signed Issuer → CA
 * Certificate → CA Issuer) and a serving Certificate from it; cert-manager's cainjector fills the
 * webhook configurations' caBundle (`cert-manager.io/inject-ca-from`), so no caBundle is
 * synthesized and Argo CD sees no drift. Alternative: a user-supplied CA bundle and Secret.
 * Either way no private key, certificate or token is written to dist/ (the CA bundle is public).
 */
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { APP_LABELS } from './labels';
import { applySyncWave, SyncWave } from './sync-waves';

/** cert-manager issues and rotates the serving certificate (the default). */
export interface CertManagerTls {
  readonly mode: 'cert-manager';
  /**
   * Serving certificate lifetime (Go duration).
   * @default '2160h' (90 days)
   */
  readonly duration?: string;
  /**
   * Renew this long before expiry.
   * @default '720h' (30 days)
   */
  readonly renewBefore?: string;
}

/** You provide the Secret (tls.crt/tls.key) and the CA bundle that signed it. */
export interface ProvidedTls {
  readonly mode: 'provided';
  /** PEM CA certificate(s) the API server trusts for the webhook (public material only). */
  readonly caBundlePem: string;
  /** Name of the kubernetes.io/tls Secret in the runtime namespace. */
  readonly secretName: string;
}

export type TlsOptions = CertManagerTls | ProvidedTls;

export const SERVING_CERTIFICATE = 'portcullis-serving';
export const CERT_MANAGER_SECRET = 'portcullis-tls';

/** The Secret the runtime mounts. */
export function tlsSecretName(tls: TlsOptions): string {
  return tls.mode === 'provided' ? tls.secretName : CERT_MANAGER_SECRET;
}

/** Problems with the TLS options (synth-time). */
export function tlsProblems(tls: TlsOptions): string[] {
  if (tls.mode !== 'provided') return [];
  const out: string[] = [];
  if (/PRIVATE KEY/.test(tls.caBundlePem)) {
    out.push('tls.caBundlePem contains a PRIVATE KEY, which would be published in dist/. Fix: pass only the CA certificate (and rotate that key).');
  }
  if (!tls.caBundlePem.includes('-----BEGIN CERTIFICATE-----')) {
    out.push('tls.caBundlePem is not a PEM certificate bundle. Fix: pass the CA certificate that signed the serving certificate.');
  }
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(tls.secretName)) out.push(`tls.secretName "${tls.secretName}" is not a valid Secret name.`);
  return out;
}

export interface TlsChartProps {
  readonly namespace: string;
  readonly serviceName: string;
  readonly tls: CertManagerTls;
}

export class CertManagerTlsChart extends Chart {
  constructor(scope: Construct, id: string, props: TlsChartProps) {
    super(scope, id, { namespace: props.namespace, labels: { ...APP_LABELS } });
    const { namespace, serviceName } = props;
    new ApiObject(this, 'selfsigned-issuer', {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: 'portcullis-selfsigned' },
      spec: { selfSigned: {} },
    });
    new ApiObject(this, 'ca-certificate', {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'portcullis-ca' },
      spec: {
        isCA: true,
        commonName: 'portcullis-webhook-ca',
        secretName: 'portcullis-ca',
        duration: '87600h',
        renewBefore: '2160h',
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        issuerRef: { group: 'cert-manager.io', kind: 'Issuer', name: 'portcullis-selfsigned' },
      },
    });
    new ApiObject(this, 'ca-issuer', {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: 'portcullis-ca' },
      spec: { ca: { secretName: 'portcullis-ca' } },
    });
    new ApiObject(this, 'serving-certificate', {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: SERVING_CERTIFICATE },
      spec: {
        secretName: CERT_MANAGER_SECRET,
        duration: props.tls.duration ?? '2160h',
        renewBefore: props.tls.renewBefore ?? '720h',
        dnsNames: [
          serviceName,
          `${serviceName}.${namespace}`,
          `${serviceName}.${namespace}.svc`,
          `${serviceName}.${namespace}.svc.cluster.local`,
        ],
        usages: ['server auth', 'digital signature'],
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        issuerRef: { group: 'cert-manager.io', kind: 'Issuer', name: 'portcullis-ca' },
      },
    });
    applySyncWave(this, SyncWave.TLS);
  }
}
