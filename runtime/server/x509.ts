/**
 * Issuing X.509 certificates for development and tests: a self-signed CA and serving certificates
 * it signs. node:crypto generates the keys; node-forge builds and signs the certificates (node:crypto
 * cannot issue certificates). Production certificates come from cert-manager, never from here.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface IssuedCertificate {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

export interface CertificateOptions {
  commonName: string;
  /** Validity, from one minute ago (clock skew) until now + `days`. */
  days?: number;
  /** Override the validity window (tests of expiry and rotation). */
  notBefore?: Date;
  notAfter?: Date;
}

export interface ServingCertificateOptions extends CertificateOptions {
  /** DNS names for the subjectAltName. */
  dnsNames?: readonly string[];
  /** IP addresses for the subjectAltName. */
  ipAddresses?: readonly string[];
}

function newKeyPair(): { publicKey: forge.pki.PublicKey; privateKey: forge.pki.rsa.PrivateKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem);
  const publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  return { publicKey, privateKey: forgeKey, pem };
}

function validity(cert: forge.pki.Certificate, options: CertificateOptions): void {
  const now = Date.now();
  cert.validity.notBefore = options.notBefore ?? new Date(now - 60_000);
  cert.validity.notAfter = options.notAfter ?? new Date(now + (options.days ?? 30) * 86_400_000);
}

function serial(): string {
  // Positive 128-bit serial (leading byte below 0x80 keeps the DER INTEGER positive).
  const bytes = randomBytes(16);
  bytes[0] = bytes[0] & 0x7f;
  return bytes.toString('hex');
}

/** A self-signed certificate authority. */
export function issueCertificateAuthority(options: CertificateOptions): IssuedCertificate {
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, options);
  const subject = [{ name: 'commonName', value: options.commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}

/** A TLS server certificate signed by `ca`. */
export function issueServingCertificate(ca: IssuedCertificate, options: ServingCertificateOptions): IssuedCertificate {
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, options);
  cert.setSubject([{ name: 'commonName', value: options.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(options.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}
