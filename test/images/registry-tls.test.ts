/**
 * HTTPS registries: the real registry serving TLS with a certificate from a test CA (generated at
 * run time). Trusted only through the rule's `caPem` (added to the system CAs); without it the
 * TLS handshake fails (an error, not a verdict); `insecure` (plain HTTP) is never tried against it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageVerifier, RegistryError } from '../../runtime/images';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import { ecKeyPair, keyLegacyLayer, pushImage, pushLegacySignatures, simpleSigningPayload } from '../helpers/cosign';
import { issueLoopbackCert, issueTestCa } from '../helpers/tls';
import { keySet, verifyRule } from './fixtures';

const available = registryAvailable();
if (!available) registrySkipNotice();

describe.skipIf(!available)('HTTPS registry with a custom CA', () => {
  let plain: RunningRegistry;
  let tls: RunningRegistry;
  const ca = issueTestCa('registry test CA');
  const signer = ecKeyPair();
  let digest: string;

  beforeAll(async () => {
    plain = await startRegistry();
    const img = await pushImage(plain.url, 'secure/app', 'v1', 'tls');
    digest = img.digest;
    await pushLegacySignatures(plain.url, 'secure/app', digest, [keyLegacyLayer(signer.privateKey, simpleSigningPayload('secure/app', digest))]);
    const serving = issueLoopbackCert(ca);
    tls = await startRegistry({ tls: { certPem: serving.cert, keyPem: serving.key }, storageDir: plain.storageDir });
  });
  afterAll(async () => {
    await tls?.stop();
    await plain?.destroy();
  });

  const attestors = [keySet({ name: 'ci', publicKeyPem: signer.publicKeyPem })];

  it('verifies over HTTPS when the rule supplies the CA', async () => {
    const rule = verifyRule([{ host: tls.host, caPem: ca.cert }], attestors);
    const v = createImageVerifier();
    try {
      expect(await v.resolveDigest(`${tls.host}/secure/app:v1`, rule)).toBe(digest);
      expect((await v.verify(`${tls.host}/secure/app:v1`, rule)).verified).toBe(true);
    } finally {
      v.close();
    }
  });

  it('fails the TLS handshake without the CA (an error, never a verdict)', async () => {
    const rule = verifyRule([{ host: tls.host }], attestors);
    const v = createImageVerifier();
    try {
      await expect(v.verify(`${tls.host}/secure/app:v1`, rule)).rejects.toBeInstanceOf(RegistryError);
      await expect(v.resolveDigest(`${tls.host}/secure/app:v1`, rule)).rejects.toThrow(/SELF_SIGNED|UNABLE_TO_VERIFY|unable to verify|self.signed/i);
    } finally {
      v.close();
    }
  });

  it('a CA for another registry does not help', async () => {
    const otherCa = issueTestCa('another CA');
    const rule = verifyRule([{ host: tls.host, caPem: otherCa.cert }], attestors);
    const v = createImageVerifier();
    try {
      await expect(v.resolveDigest(`${tls.host}/secure/app:v1`, rule)).rejects.toBeInstanceOf(RegistryError);
    } finally {
      v.close();
    }
  });
});
