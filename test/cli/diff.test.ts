import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prettyCanonicalJson, validateBundle, type Bundle, type Rule } from '../../runtime/bundle';
import { diffBundles, type BundleDiff } from '../../runtime/report/bundle-diff';
import { renderMarkdown, renderText, toDiffJson } from '../../runtime/report/diff-render';
import { toText } from '../../runtime/report/sentence';
import { clone, findPolicy, paymentsBundle, publicKeyPem } from './fixtures/payments-bundle';

const NOW = new Date('2026-11-23T12:00:00Z');
const ciKey = publicKeyPem();
const before = paymentsBundle({ ciKey });

function diff(edit: (b: Bundle) => void, now = NOW): BundleDiff {
  const after = clone(before);
  edit(after);
  return diffBundles(before, validateBundle(after).bundle, { now });
}
function sentences(d: BundleDiff): string[] {
  return d.changes.map((c) => `${c.direction}: ${toText(c.sentence)}`);
}
/** Apply an edit to a Pod rule and every autogen rule expanded from it. */
function editRules<T extends Rule['type']>(b: Bundle, policy: string, rule: string, edit: (r: Extract<Rule, { type: T }>) => void): void {
  for (const r of findPolicy(b, policy).rules) {
    if (r.name === rule || r.autogenFrom === rule) edit(r as Extract<Rule, { type: T }>);
  }
}

describe('diffBundles', () => {
  it('reports nothing for identical bundles', () => {
    const d = diffBundles(before, clone(before), { now: NOW });
    expect(d.identical).toBe(true);
    expect(d.changes).toEqual([]);
    expect(renderText(d, { oldLabel: 'a', newLabel: 'b' })).toContain('No changes: the bundles are identical.');
  });

  it('says an Audit → Enforce flip once, not once per autogen rule', () => {
    const d = diff((b) => {
      findPolicy(b, 'require-limits').mode = 'Enforce';
    });
    expect(sentences(d)).toEqual([
      'stricter: Policy "require-limits" switches from Audit to Enforce: requests that violate it are now denied (until now they were admitted with a warning).',
    ]);
    expect(d.summary).toEqual({ stricter: 1, looser: 0, neutral: 0 });
  });

  it('folds an edit to a Pod rule and its autogen expansions into one sentence', () => {
    const d = diff((b) =>
      editRules<'requireResources'>(b, 'require-limits', 'limits', (r) => {
        r.requests = ['memory'];
        r.maxLimits = { memory: '2Gi' };
      }),
    );
    expect(sentences(d)).toEqual([
      'stricter: Rule "require-limits/limits" now also requires memory requests.',
      'stricter: Rule "require-limits/limits" memory limit ceiling changes from "(none)" to "2Gi".',
    ]);
  });

  it('reports failurePolicy changes on the policy and on the webhook', () => {
    const d = diff((b) => {
      findPolicy(b, 'signed-images').failurePolicy = 'Ignore';
      b.webhooks[0].failurePolicy = 'Ignore';
    });
    expect(sentences(d)).toEqual([
      'looser: Policy "signed-images" now fails open (failurePolicy Fail → Ignore): requests are admitted unchecked when it cannot be evaluated (webhook down, registry unreachable).',
      'looser: Webhook "mutate-fail-10s-0.portcullis.dev" failurePolicy changes from Fail to Ignore: when the webhook cannot answer, requests are now admitted unchecked.',
    ]);
  });

  it('reports policies added and removed with what they do', () => {
    const d = diff((b) => {
      b.policies = b.policies.filter((p) => p.name !== 'allowed-registries');
      b.webhooks[1].policies = b.webhooks[1].policies.filter((p) => p !== 'allowed-registries');
      const latest = clone(findPolicy(b, 'require-limits'));
      latest.name = 'no-latest';
      latest.mode = 'Enforce';
      latest.rules = latest.rules.map((r) => ({ name: r.name, autogenFrom: r.autogenFrom, target: r.target, type: 'disallowLatestTag' }));
      b.policies.push(latest);
      b.webhooks[1].policies.push('no-latest');
    });
    expect(sentences(d)).toEqual([
      'neutral: Policy "allowed-registries" (Audit) is removed: nothing it checked is warned about any more.',
      'stricter: Policy "no-latest" is added in Enforce mode (failurePolicy Fail, timeout 10s) for Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob: violations are denied.',
      'stricter: Policy "no-latest" rule "limits" denies images tagged "latest" or without a tag.',
      'neutral: Webhook "validate-fail-10s-0.portcullis.dev" now serves policies "no-latest".',
      'neutral: Webhook "validate-fail-10s-0.portcullis.dev" no longer serves policies "allowed-registries".',
    ]);
  });

  it('reports exemptions widened: more values, images for all, more namespaces, later expiry', () => {
    const d = diff((b) => {
      const ex = findPolicy(b, 'pod-security').exemptions[0];
      ex.controls[0].values = ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN'];
      delete ex.controls[0].images;
      ex.namespaces = ['netops', 'payments'];
      ex.expiresAt = '2027-12-31T00:00:00Z';
      ex.controls.push({ control: 'runAsNonRoot' });
    });
    expect(sentences(d)).toEqual([
      'looser: Exemption "network-tools" of policy "pod-security", control "capabilities_restricted", now covers all images (it covered only "registry.payments.example.com/netops/network-tools*").',
      'looser: Exemption "network-tools" of policy "pod-security", control "capabilities_restricted", now also covers the capabilities.add values "SYS_ADMIN".',
      'looser: Exemption "network-tools" of policy "pod-security" now also relieves "runAsNonRoot".',
      'looser: Exemption "network-tools" of policy "pod-security" now also covers the namespaces "payments".',
      'looser: Exemption "network-tools" of policy "pod-security" is extended until 2027-12-31T00:00:00Z (was 2027-03-31T00:00:00Z).',
    ]);
    expect(d.summary.looser).toBe(5);
  });

  it('reports exemptions added, removed and narrowed', () => {
    const added = diff((b) => {
      findPolicy(b, 'host-isolation').exemptions.push({
        name: 'node-exporter',
        owner: 'observability',
        reason: 'host metrics',
        expiresAt: '2027-06-30T00:00:00Z',
        namespaces: ['monitoring'],
        controls: [{ control: 'hostNamespaces', field: 'hostPID' }],
      });
      findPolicy(b, 'pod-security').exemptions = [];
    });
    expect(sentences(added)).toEqual([
      'looser: Exemption "node-exporter" of policy "host-isolation" is added: it relieves "hostNamespaces" for "hostPID" in namespaces "monitoring" (owner observability; expires 2027-06-30T00:00:00Z; reason: host metrics).',
      'stricter: Exemption "network-tools" of policy "pod-security" is removed: what it relieved is checked again.',
    ]);
    const narrowed = diff((b) => {
      const ex = findPolicy(b, 'pod-security').exemptions[0];
      ex.controls[0].values = ['NET_ADMIN'];
      ex.expiresAt = '2027-01-31T00:00:00Z';
    });
    expect(sentences(narrowed)).toEqual([
      'stricter: Exemption "network-tools" of policy "pod-security", control "capabilities_restricted", no longer covers the capabilities.add values "NET_RAW".',
      'stricter: Exemption "network-tools" of policy "pod-security" now expires earlier, 2027-01-31T00:00:00Z (was 2027-03-31T00:00:00Z).',
    ]);
  });

  it('reports an exemption that stops or starts expiring', () => {
    const forever = diff((b) => {
      delete findPolicy(b, 'pod-security').exemptions[0].expiresAt;
    });
    expect(sentences(forever)).toEqual([
      'looser: Exemption "network-tools" of policy "pod-security" no longer expires (it was set to expire 2027-03-31T00:00:00Z).',
    ]);
    const noExpiry = clone(before);
    delete findPolicy(noExpiry, 'pod-security').exemptions[0].expiresAt;
    const later = diffBundles(noExpiry, before, { now: NOW });
    expect(later.changes.map((c) => `${c.direction}: ${toText(c.sentence)}`)).toEqual([
      'stricter: Exemption "network-tools" of policy "pod-security" now expires 2027-03-31T00:00:00Z (it had no expiry).',
    ]);
  });

  it('reports an exemption that has expired by --now, and one that is renewed', () => {
    const later = new Date('2027-04-15T00:00:00Z');
    const d = diff((b) => {
      findPolicy(b, 'pod-security').description = 'restricted profile';
    }, later);
    expect(sentences(d)).toEqual([
      'neutral: Exemption "network-tools" of policy "pod-security" expired on 2027-03-31T00:00:00Z: it no longer relieves anything; renew or remove it.',
    ]);
    const renewed = diff((b) => {
      findPolicy(b, 'pod-security').exemptions[0].expiresAt = '2027-09-30T00:00:00Z';
    }, later);
    expect(sentences(renewed)).toEqual([
      'looser: Exemption "network-tools" of policy "pod-security" is renewed until 2027-09-30T00:00:00Z (it expired 2027-03-31T00:00:00Z).',
    ]);
  });

  it('reports signing keys and identities changed, and registries allowed', () => {
    const rotated = publicKeyPem();
    const d = diff((b) => {
      editRules<'verifyImages'>(b, 'signed-images', 'verify-signatures', (r) => {
        const entries = r.attestors[0].entries;
        const key = entries.find((e) => e.type === 'key');
        const keyless = entries.find((e) => e.type === 'keyless');
        if (key?.type === 'key') key.publicKey = rotated;
        if (keyless?.type === 'keyless') {
          keyless.identities.push({ subjectRegExp: 'https://github\\.com/payments/.*', issuer: 'https://token.actions.githubusercontent.com' });
        }
      });
      editRules<'allowedRegistries'>(b, 'allowed-registries', 'registries', (r) => {
        r.allowed = ['registry.payments.example.com/**', 'docker.io/library/*'];
      });
    });
    const text = sentences(d);
    expect(text).toHaveLength(4);
    expect(text[0]).toBe(
      'looser: Rule "allowed-registries/registries" now also allows images from "docker.io/library/*".',
    );
    expect(text[1]).toBe('stricter: Rule "allowed-registries/registries" no longer allows images from "registry.k8s.io/**".');
    expect(text[2]).toBe(
      'looser: Rule "signed-images/verify-signatures" attestor "payments-ci" now also accepts the signing identities "subject ~ /https://github\\\\.com/payments/.*/, issuer https://token.actions.githubusercontent.com".',
    );
    expect(text[3]).toMatch(
      /^neutral: Rule "signed-images\/verify-signatures" attestor "release-key" changes its public key from sha256:[0-9a-f]{16} to sha256:[0-9a-f]{16}: signatures made with the old key no longer verify\.$/,
    );
  });

  it('reads the direction of an attestor added to an all-of set versus an any-of set', () => {
    const all = diff((b) =>
      editRules<'verifyImages'>(b, 'signed-images', 'verify-signatures', (r) => {
        r.attestors.push({ entries: [{ type: 'key', name: 'sbom-key', publicKey: ciKey }] });
      }),
    );
    expect(all.changes.map((c) => [c.direction, c.kind])).toEqual([['stricter', 'signing-changed']]);
    expect(toText(all.changes[0].sentence)).toMatch(/now additionally requires a signature from key "sbom-key"/);
    const anyOf = diff((b) =>
      editRules<'verifyImages'>(b, 'signed-images', 'verify-signatures', (r) => {
        r.attestors[0].entries.push({ type: 'key', name: 'vendor-key', publicKey: publicKeyPem() });
      }),
    );
    expect(anyOf.changes.map((c) => c.direction)).toEqual(['looser']);
    expect(toText(anyOf.changes[0].sentence)).toMatch(/now also accepts signatures from key "vendor-key"/);
  });

  it('reports webhook scope changes', () => {
    const d = diff((b) => {
      b.webhooks[1].namespaceSelector = { matchLabels: { 'portcullis.dev/enforce': 'true' } };
      b.webhooks[1].rules[1].resources = ['deployments', 'statefulsets'];
      b.webhooks[1].timeoutSeconds = 5;
    });
    expect(sentences(d)).toEqual([
      'neutral: Webhook "validate-fail-10s-0.portcullis.dev" timeout changes from 10s to 5s.',
      'neutral: Webhook "validate-fail-10s-0.portcullis.dev" now receives namespaces selected by "portcullis.dev/enforce=true" instead of "kubernetes.io/metadata.name NotIn (kube-system, kube-public, kube-node-lease, portcullis-system)".',
      'looser: Webhook "validate-fail-10s-0.portcullis.dev" no longer receives cronjobs, daemonsets, jobs and replicasets.',
    ]);
  });

  it('says a defaulting rule that stops mutating controller templates (mutateControllers off) changes no verdict', () => {
    const podOnly = (b: Bundle): void => {
      const defaults = findPolicy(b, 'resource-defaults');
      defaults.rules = defaults.rules.filter((r) => r.target.kind === 'Pod');
      b.webhooks[0].rules = [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE', 'UPDATE'] }];
    };
    const d = diff(podOnly);
    expect(sentences(d)).toEqual([
      'neutral: Rule "resource-defaults/default-resources" no longer mutates the pod templates of CronJob, DaemonSet, Deployment, Job, ReplicaSet and StatefulSet: their Pods are still defaulted when created, and the templates are validated as those Pods will be.',
      'neutral: Webhook "mutate-fail-10s-0.portcullis.dev" no longer receives cronjobs, daemonsets, deployments, jobs, replicasets and statefulsets.',
    ]);
    const optIn = diffBundles(
      (() => {
        const b = clone(before);
        podOnly(b);
        return validateBundle(b).bundle;
      })(),
      before,
      { now: NOW },
    );
    expect(optIn.summary).toEqual({ stricter: 0, looser: 0, neutral: 2 });
    expect(sentences(optIn)[0]).toContain('now also mutates the pod templates of CronJob, DaemonSet, Deployment');
  });

  it('falls back to a generic sentence for rule changes it has no words for', () => {
    const d = diff((b) =>
      editRules<'podSecurity'>(b, 'pod-security', 'restricted', (r) => {
        r.level = 'baseline';
        r.version = 'v1.30';
      }),
    );
    expect(sentences(d)).toEqual([
      'looser: Rule "pod-security/restricted" now enforces the baseline Pod Security Standard instead of restricted.',
      'neutral: Rule "pod-security/restricted" now checks Pod Security Standard version v1.30 instead of latest.',
    ]);
  });
});

describe('diff rendering', () => {
  const d = diff((b) => {
    findPolicy(b, 'pod-security').mode = 'Enforce';
    findPolicy(b, 'pod-security').exemptions[0].controls[0].images?.push('registry.payments.example.com/debug/*');
    findPolicy(b, 'pod-security').timeoutSeconds = 5;
  });

  it('renders markdown for a PR comment with code spans and a review note for loosening', () => {
    const md = renderMarkdown(d, { oldLabel: 'origin/main', newLabel: 'HEAD' });
    expect(md).toContain('### Portcullis: what enforcement changes');
    expect(md).toContain('`origin/main` → `HEAD`: 3 enforcement changes: 1 stricter, 1 looser, 1 other.');
    expect(md).toContain('> **Security review:** 1 change loosens enforcement.');
    expect(md).toContain('#### Policy `pod-security`');
    expect(md).toContain(
      '- **stricter**: Policy `pod-security` switches from Audit to Enforce: requests that violate it are now denied (until now they were admitted with a warning).',
    );
    // globs are code spans, so `*` is not emphasis
    expect(md).toContain(', control `capabilities_restricted`, now also covers the images `registry.payments.example.com/debug/*`.');
    expect(md).toContain('- other: Policy `pod-security` timeout changes from 10s to 5s.');
  });

  it('renders text grouped by policy and JSON with both sentence forms', () => {
    const text = renderText(d, { oldLabel: 'old.json', newLabel: 'new.json' });
    expect(text.split('\n').slice(1, 4)).toEqual(['3 enforcement changes: 1 stricter, 1 looser, 1 other.', '', 'Policy "pod-security"']);
    const json = toDiffJson(d, { oldLabel: 'old.json', newLabel: 'new.json' });
    expect(json.summary).toEqual({ stricter: 1, looser: 1, neutral: 1 });
    expect(json.changes[0]).toMatchObject({ kind: 'mode-changed', direction: 'stricter', policy: 'pod-security' });
    expect(json.changes[0].markdown).toContain('`pod-security`');
    expect(json.old.hash).toBe(d.oldHash);
  });
});

describe('portcullis diff (CLI)', () => {
  const repoRoot = path.resolve(__dirname, '../..');
  const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
  const main = path.join(repoRoot, 'runtime/cli/main.ts');
  let dir: string;
  const cli = (args: string[]) => spawnSync(process.execPath, [tsx, main, 'diff', ...args], { cwd: dir, encoding: 'utf8' });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'portcullis-diff-'));
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'test@example.com');
    git('config', 'user.name', 'test');
    mkdirSync(path.join(dir, 'dist'));
    writeFileSync(path.join(dir, 'dist/portcullis-bundle.json'), prettyCanonicalJson(before));
    git('add', '.');
    git('commit', '-q', '-m', 'v1');
    const after = clone(before);
    findPolicy(after, 'require-limits').mode = 'Enforce';
    findPolicy(after, 'signed-images').failurePolicy = 'Ignore';
    writeFileSync(path.join(dir, 'dist/portcullis-bundle.json'), prettyCanonicalJson(after));
    git('commit', '-q', '-am', 'v2');
    writeFileSync(path.join(dir, 'broken.json'), '{"apiVersion":"portcullis.dev/v1alpha1","kind":"RuleBundle"}');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('diffs two git refs and exits 0 without flags', () => {
    const r = cli(['HEAD~1', 'HEAD', '--now', '2026-11-23T00:00:00Z']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('2 enforcement changes: 1 stricter, 1 looser, 0 other.');
    expect(r.stdout).toContain('Policy "require-limits" switches from Audit to Enforce');
  });

  it('--exit-code and --fail-if-looser exit 1 when they trip, 0 otherwise', () => {
    expect(cli(['HEAD~1', 'HEAD', '--exit-code']).status).toBe(1);
    expect(cli(['HEAD~1', 'HEAD', '--fail-if-looser']).status).toBe(1);
    expect(cli(['HEAD', 'dist/portcullis-bundle.json', '--exit-code', '--fail-if-looser']).status).toBe(0);
    expect(cli(['HEAD~1:dist/portcullis-bundle.json', 'HEAD~1', '--exit-code']).status).toBe(0);
  });

  it('prints markdown and JSON', () => {
    const md = cli(['HEAD~1', 'HEAD', '-o', 'markdown']);
    expect(md.stdout).toMatch(/^### Portcullis: what enforcement changes\n\n`HEAD~1` → `HEAD`/);
    const json = JSON.parse(cli(['HEAD~1', 'HEAD', '--output', 'json']).stdout);
    expect(json.changes.map((c: { kind: string }) => c.kind)).toEqual(['mode-changed', 'failure-policy-changed']);
  });

  it('exits 2 on unknown refs, invalid bundles and bad usage', () => {
    const missing = cli(['no-such-ref', 'HEAD']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('"no-such-ref" is neither a file nor a git object');
    const broken = cli(['broken.json', 'HEAD']);
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain('broken.json: invalid rule bundle');
    expect(cli(['HEAD']).status).toBe(2);
    expect(cli(['HEAD~1', 'HEAD', '-o', 'html']).status).toBe(2);
  });
});
