/**
 * Test PKI and HTTPS client: a CA and a serving certificate for localhost/127.0.0.1 generated at
 * run time into a temp dir (never into the repo), and a node:https client that trusts only that CA.
 * Shared by the server tests and anyone else who needs real TLS on loopback.
 */
import { mkdtempSync, rmSync, writeFileSync, renameSync, symlinkSync, mkdirSync } from 'node:fs';
import type { Agent } from 'node:https';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import {
  issueCertificateAuthority,
  issueServingCertificate,
  type IssuedCertificate,
  type ServingCertificateOptions,
} from '../../runtime/server/x509';

export interface TestPki {
  dir: string;
  ca: IssuedCertificate;
  serving: IssuedCertificate;
  caPath: string;
  certPath: string;
  keyPath: string;
  cleanup(): void;
}

export const LOOPBACK_NAMES: Pick<ServingCertificateOptions, 'dnsNames' | 'ipAddresses'> = {
  dnsNames: ['localhost'],
  ipAddresses: ['127.0.0.1', '::1'],
};

export function issueTestCa(commonName = 'Portcullis test CA'): IssuedCertificate {
  return issueCertificateAuthority({ commonName, days: 1 });
}

export function issueLoopbackCert(ca: IssuedCertificate, commonName = 'localhost', extra: Partial<ServingCertificateOptions> = {}): IssuedCertificate {
  return issueServingCertificate(ca, { commonName, days: 1, ...LOOPBACK_NAMES, ...extra });
}

/** A CA and a serving cert written as ca.crt, tls.crt, tls.key in a fresh temp dir. */
export function createTestPki(prefix = 'portcullis-pki-'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ca = issueTestCa();
  const serving = issueLoopbackCert(ca);
  const caPath = join(dir, 'ca.crt');
  const certPath = join(dir, 'tls.crt');
  const keyPath = join(dir, 'tls.key');
  writeFileSync(caPath, ca.cert);
  writeFileSync(certPath, serving.cert);
  writeFileSync(keyPath, serving.key, { mode: 0o600 });
  return { dir, ca, serving, caPath, certPath, keyPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A directory laid out like a Kubernetes ConfigMap/Secret volume: files are symlinks through
 * `..data` to a timestamped directory, and `update()` swaps `..data` atomically (rename), exactly
 * as the kubelet's AtomicWriter does.
 */
export class ProjectedVolume {
  private generation = 0;

  constructor(
    readonly dir: string,
    files: Record<string, string | Buffer>,
  ) {
    mkdirSync(dir, { recursive: true });
    const data = this.writeGeneration(files);
    symlinkSync(data, join(dir, '..data'));
    for (const name of Object.keys(files)) symlinkSync(join('..data', name), join(dir, name));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  private writeGeneration(files: Record<string, string | Buffer>): string {
    this.generation += 1;
    const name = `..2026_01_01_00_00_${String(this.generation).padStart(2, '0')}.${process.pid}`;
    mkdirSync(join(this.dir, name));
    for (const [file, content] of Object.entries(files)) writeFileSync(join(this.dir, name, file), content);
    return name;
  }

  /** Replace every file at once (the set of names must stay the same). */
  update(files: Record<string, string | Buffer>): void {
    const data = this.writeGeneration(files);
    const tmp = join(this.dir, '..data_tmp');
    symlinkSync(data, tmp);
    renameSync(tmp, join(this.dir, '..data'));
  }
}

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The server certificate presented on this connection. */
  peer: PeerCertificate | undefined;
}

export interface HttpsCallOptions {
  port: number;
  path: string;
  ca: string | Buffer;
  method?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  host?: string;
  servername?: string;
  agent?: Agent;
}

/** One HTTPS request trusting only `ca` (full verification, as the API server does). */
export function callHttps(options: HttpsCallOptions): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: options.host ?? '127.0.0.1',
        port: options.port,
        path: options.path,
        method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
        ca: options.ca,
        servername: options.servername ?? 'localhost',
        agent: options.agent ?? false,
        headers: {
          ...(options.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        const peer = (res.socket as TLSSocket).getPeerCertificate?.();
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), peer }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}
