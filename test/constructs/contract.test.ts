/**
 * The DSL and the bundle contract agree: one construct per rule family the schema defines (no
 * more, no fewer), each emitting rules the JSON Schema accepts; every schema object is closed, so
 * the TypeScript types (which reject excess properties) and the JSON Schema agree on unknown fields.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { BundleSchema, Rule as RuleSchema, validateBundle, type RuleType } from '../../runtime/bundle';
import {
  AllowedRegistries,
  DefaultResources,
  DefaultSeccomp,
  DenyRuntimeSocket,
  DisallowLatestTag,
  HostNamespaces,
  HostPaths,
  keyAttestor,
  PodSecurity,
  Policy,
  PolicyRule,
  RequireDigest,
  RequireLabels,
  RequireResources,
  slsaProvenance,
  VerifyAttestations,
  VerifyImages,
} from '../../constructs';
import { newApp } from './helpers';

function schemaRuleTypes(): string[] {
  return (RuleSchema as unknown as { anyOf: Array<{ properties: { type: { const: string } } }> }).anyOf.map((s) => s.properties.type.const).sort();
}

function walkObjects(schema: TSchema, path: string, out: Array<{ path: string; schema: Record<string, unknown> }>): void {
  const s = schema as Record<string, unknown>;
  if (s.type === 'object' && s.properties !== undefined) out.push({ path, schema: s });
  for (const [k, v] of Object.entries(s.properties ?? {})) walkObjects(v as TSchema, `${path}.${k}`, out);
  if (s.items !== undefined) walkObjects(s.items as TSchema, `${path}[]`, out);
  for (const [i, v] of ((s.anyOf as TSchema[] | undefined) ?? []).entries()) walkObjects(v, `${path}|${i}`, out);
  for (const v of Object.values((s.patternProperties as Record<string, TSchema> | undefined) ?? {})) walkObjects(v, `${path}{}`, out);
}

describe('DSL ⇄ bundle schema', () => {
  it('has exactly one rule construct per rule family in the schema, and every emitted rule validates', () => {
    const app = newApp();
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const p = new Policy(app, 'everything', { mode: 'Enforce', controllers: ['CronJob'] });
    new PodSecurity(p, 'pss');
    new VerifyImages(p, 'sig', { imageReferences: ['registry.example.com/**'], attestors: [{ entries: [keyAttestor('k', key, { requireTlog: true })] }], registries: [{ host: 'registry.example.com' }] });
    new VerifyAttestations(p, 'attested', {
      imageReferences: ['registry.example.com/**'],
      attestations: [slsaProvenance('build', { attestors: [{ entries: [keyAttestor('k', key)] }], builderId: { pattern: 'https://ci\\.example\\.com/.*' }, sourceRef: 'refs/heads/main' })],
      registries: [{ host: 'registry.example.com' }],
    });
    // mutateControllers: the controller copies of the defaulting rules are emitted (and validated) too
    new DefaultResources(p, 'defaults', { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' }, mutateControllers: true });
    new RequireResources(p, 'limits', { requests: ['memory'], maxLimits: { memory: '4Gi' } });
    new AllowedRegistries(p, 'registries', { allowed: ['registry.example.com/**'] });
    new RequireDigest(p, 'digest');
    new DisallowLatestTag(p, 'latest');
    new HostPaths(p, 'paths', { allowed: [{ pathPrefix: '/var/log', readOnly: true }] });
    new DenyRuntimeSocket(p, 'socket');
    new HostNamespaces(p, 'host-ns');
    new RequireLabels(p, 'labels', { labels: ['team', { key: 'version', valuePattern: 'v\\d+' }] });
    new DefaultSeccomp(p, 'seccomp', { mutateControllers: true });
    const constructTypes = p.node.children.filter((c): c is PolicyRule => c instanceof PolicyRule).map((r) => r.ruleType);
    expect([...constructTypes].sort()).toEqual(schemaRuleTypes());
    const { bundle } = app.build();
    expect(() => validateBundle(bundle)).not.toThrow();
    const emitted = new Set<RuleType>(bundle.policies[0].rules.map((r) => r.type));
    expect([...emitted].sort()).toEqual(schemaRuleTypes());
    expect(bundle.policies[0].rules).toHaveLength(schemaRuleTypes().length * 2);
  });

  it('closes every object in the schema (unknown fields are errors on both sides)', () => {
    const objects: Array<{ path: string; schema: Record<string, unknown> }> = [];
    walkObjects(BundleSchema, 'bundle', objects);
    expect(objects.length).toBeGreaterThan(20);
    const open = objects.filter((o) => o.schema.additionalProperties !== false).map((o) => o.path);
    expect(open).toEqual([]);
  });
});
