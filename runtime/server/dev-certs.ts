/**
 * `portcullis serve --dev` without certificates: a self-signed CA and a serving certificate for
 * localhost / 127.0.0.1 / ::1, written to a directory outside the tracked files (`.dev-certs/` is
 * gitignored) and reused while still valid for more than a day.
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueCertificateAuthority, issueServingCertificate } from './x509';

export interface DevCertificatePaths {
  dir: string;
  caCert: string;
  cert: string;
  key: string;
  /** false when valid certificates were already there. */
  created: boolean;
}

const DAY_MS = 86_400_000;

function stillValid(certPath: string, now: number): boolean {
  try {
    const cert = new X509Certificate(readFileSync(certPath));
    return Date.parse(cert.validTo) - now > DAY_MS && cert.checkHost('localhost') !== undefined;
  } catch {
    return false;
  }
}

export function ensureDevCertificates(dir: string, now = Date.now()): DevCertificatePaths {
  const paths = { dir, caCert: join(dir, 'ca.crt'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
  if (existsSync(paths.caCert) && existsSync(paths.key) && stillValid(paths.cert, now)) {
    return { ...paths, created: false };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = issueCertificateAuthority({ commonName: 'Portcullis development CA', days: 30 });
  const serving = issueServingCertificate(ca, {
    commonName: 'localhost',
    days: 30,
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
  });
  writeFileSync(paths.caCert, ca.cert);
  writeFileSync(paths.cert, serving.cert);
  writeFileSync(paths.key, serving.key, { mode: 0o600 });
  chmodSync(paths.key, 0o600);
  return { ...paths, created: true };
}
