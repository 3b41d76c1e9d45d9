/**
 * Messages over the API server's 5 KiB messageExpression limit are cut in CEL (runtime/native/
 * message-bound.ts), the same way on both sides of the differential oracle, and stay within the
 * limit in bytes even for multi-byte text.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Policy } from '../../runtime/bundle';
import { boundNativeMessage, CUT_SUFFIX, MAX_MESSAGE_BYTES } from '../../runtime/native/message-bound';
import { program } from './cel-harness';
import { compileForTest, expectEqual } from './differential';

const bundle = JSON.parse(readFileSync(path.resolve(__dirname, '../../dist/portcullis-bundle.json'), 'utf8')) as { policies: Policy[] };

describe('native messages within the API server limit', () => {
  it('keeps a message up to 5 KiB whole and cuts a longer one by code points, within the limit in bytes', () => {
    const cel = (lines: string[]): string => String(program('size(bytes(l.join(" | "))) <= 5120 ? l.join(" | ") : l.join(" | ").substring(0, 1200) + s')({ l: lines, s: CUT_SUFFIX }));
    for (const lines of [['short'], Array.from({ length: 60 }, (_, i) => `line ${i} ${'x'.repeat(80)}`), Array.from({ length: 30 }, () => 'ü€𝄞'.repeat(40))]) {
      const joined = lines.join(' | ');
      const bounded = boundNativeMessage(joined);
      expect(Buffer.byteLength(bounded, 'utf8')).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(bounded === joined).toBe(Buffer.byteLength(joined, 'utf8') <= MAX_MESSAGE_BYTES);
      // cel-js counts substring in UTF-16 units (cel-go: code points); compared on BMP text only.
      if (![...joined].some((c) => c.length > 1)) expect(cel(lines)).toBe(bounded);
    }
  });

  it('a Pod with forty unpinned containers gets the cut message, equal to the cut engine lines', () => {
    const policy = bundle.policies.find((p) => (p.nativeRules ?? []).includes('digest-only')) as Policy;
    const containers = Array.from({ length: 40 }, (_, i) => ({ name: `c${i}`, image: `registry.payments.example.com/payments/app${i}:1.0.${i}` }));
    const object = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'many', namespace: 'payments' }, spec: { containers } };
    const c = expectEqual(policy, compileForTest(policy), {
      operation: 'CREATE',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'payments',
      namespaceLabels: { 'payments.example.com/environment': 'production' },
      object,
    });
    expect(c.native['digest-only'].endsWith(CUT_SUFFIX)).toBe(true);
    expect(Buffer.byteLength(c.native['digest-only'], 'utf8')).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  });
});
