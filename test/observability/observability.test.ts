/**
 * The observability pack (constructs/observability*.ts) as synthesized for the reference set:
 * its objects, alerts whose thresholds come from the bundle and whose runbooks say what the README
 * says, a stable Grafana dashboard; every metric and label the rules and the dashboard query exists
 * in a real scrape of the running server; and the rules pass `promtool check rules` and
 * `promtool test rules` (Debian's prometheus package) on series shaped like that scrape.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SYNC_WAVE_ANNOTATION, PodSecurity, Policy } from '../../constructs';
import { BUNDLE_HASH_ANNOTATION } from '../../constructs/labels';
import {
  KUBE_STATE_METRICS,
  README_SECTION,
  latencyThresholdSeconds,
  type AlertRule,
  type RuleGroup,
} from '../../constructs/observability-alerts';
import { dashboardQueries, type DashboardTarget } from '../../constructs/observability-dashboard';
import { DASHBOARD_FILE, METRICS_CA_CONFIG_MAP } from '../../constructs/observability';
import { MUTATING_CONFIGURATION, VALIDATING_CONFIGURATION } from '../../constructs/webhooks-chart';
import { createReferenceApp } from '../../policies/app';
import { prettyCanonicalJson, type Bundle } from '../../runtime/bundle';
import { matchesLabelSelector } from '../../runtime/engine/label-selector';
import { NOW, newApp, readManifests, tempDir, type Json, type K8sObject } from '../constructs/helpers';
import { checkMonitoringObject } from './monitoring-schemas';
import { metricNames, selectors } from './promql';
import { promtool, promtoolAvailable, promtoolSkipNotice } from './promtool';
import { OTHER_HASH, TARGET_LABELS, firingCases, promtoolNumber, promtoolTests, renderAnnotation, type PromtoolTestFile } from './rule-tests';
import { scrapeReferenceServer, type ReferenceScrape } from './scrape';

const available = promtoolAvailable();
if (!available) promtoolSkipNotice();

const FILE = '35-observability.k8s.yaml';
const README = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
const README_DOWN = /## When the webhook is down\n([\s\S]*?)\n## /.exec(README)?.[1] ?? '';

let objects: Array<{ file: string; object: K8sObject }>;
let pack: K8sObject[];
let groups: RuleGroup[];
let rules: AlertRule[];
let dashboard: Json;
let bundle: Bundle;
let ref: ReferenceScrape;
let work: string;

const find = (kind: string): Json => {
  const o = objects.find((x) => x.object.kind === kind)?.object;
  if (o === undefined) throw new Error(`no ${kind}`);
  return o;
};

beforeAll(async () => {
  const out = tempDir();
  createReferenceApp({ outdir: out, now: NOW }).synth();
  objects = readManifests(out);
  pack = objects.filter((o) => o.file === FILE).map((o) => o.object);
  groups = (pack.find((o) => o.kind === 'PrometheusRule') as Json).spec.groups;
  rules = groups.flatMap((g) => g.rules);
  dashboard = JSON.parse((pack.find((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1') as Json).data[DASHBOARD_FILE]);
  bundle = JSON.parse(readFileSync(path.join(out, 'portcullis-bundle.json'), 'utf8')) as Bundle;
  ref = await scrapeReferenceServer();
  work = tempDir('portcullis-promtool-');
  writeFileSync(path.join(work, 'rules.yaml'), stringify({ groups }, { lineWidth: 0 }));
});

describe('the observability pack in dist/', () => {
  it('holds a PodMonitor, a PrometheusRule and the Grafana dashboard ConfigMap, synced with the runtime, before the webhooks', () => {
    expect(pack.map((o) => `${o.apiVersion} ${o.kind}`)).toEqual(['monitoring.coreos.com/v1 PodMonitor', 'monitoring.coreos.com/v1 PrometheusRule', 'v1 ConfigMap']);
    const wave = (o: K8sObject): number => Number(o.metadata.annotations?.[SYNC_WAVE_ANNOTATION]);
    for (const o of pack) {
      expect(wave(o), o.kind).toBe(wave(find('Deployment')));
      expect(wave(o), o.kind).toBeLessThan(wave(find('ValidatingWebhookConfiguration')));
      expect(o.metadata.namespace).toBe('portcullis-system');
    }
  });

  it('gives every alert a severity, a summary, a description and a runbook that says what README "When the webhook is down" says', () => {
    expect(README_DOWN).toContain('failurePolicy');
    // The phrases the runbooks share with the README: verbatim there.
    const deleteValidating = `kubectl delete validatingwebhookconfiguration ${VALIDATING_CONFIGURATION}`;
    const deleteMutating = `kubectl delete mutatingwebhookconfiguration ${MUTATING_CONFIGURATION}`;
    for (const phrase of [deleteValidating, deleteMutating, 'disable auto-sync/self-heal', 'matching requests are denied', 'kube-system', 'kube-public', 'kube-node-lease', 'portcullis-system']) {
      expect(README_DOWN, phrase).toContain(phrase);
    }
    expect(README_DOWN).toContain(`value\\":\\"Ignore\\"`); // fail open: failurePolicy → Ignore
    expect(new Set(rules.map((r) => r.alert))).toEqual(
      new Set([
        'PortcullisNoReadyReplicas',
        'PortcullisEvaluationErrorsDenying',
        'PortcullisLatencyNearTimeout',
        'PortcullisBundleRefused',
        'PortcullisBundleHashMismatch',
        'PortcullisSignatureVerificationErrors',
        'PortcullisExemptionExpiringSoon',
        'PortcullisExemptionExpired',
      ]),
    );
    for (const r of rules) {
      expect(['critical', 'warning'], r.alert).toContain(r.labels.severity);
      expect(Object.keys(r.annotations).sort(), r.alert).toEqual(['description', 'runbook', 'summary']);
      expect(r.annotations.summary.length, r.alert).toBeGreaterThan(20);
      expect(r.annotations.description.length, r.alert).toBeGreaterThan(40);
      const rb = r.annotations.runbook;
      for (const phrase of [README_SECTION, deleteValidating, deleteMutating, 'disable auto-sync/self-heal', 'failurePolicy to Ignore', 'never sent to the webhook']) {
        expect(rb, `${r.alert}: ${phrase}`).toContain(phrase);
      }
      // Each webhook path a runbook names carries its real failurePolicy, timeout and consequence.
      for (const m of rb.matchAll(/(\/(?:mutate|validate)\/[a-z0-9-]+) \(failurePolicy (Fail|Ignore), timeout (\d+)s; [^)]*\): ([^;.]+)/g)) {
        const w = bundle.webhooks.find((x) => x.path === m[1]);
        expect(w, m[1]).toBeDefined();
        expect([m[2], Number(m[3])]).toEqual([w?.failurePolicy, w?.timeoutSeconds]);
        expect(m[4]).toBe(m[2] === 'Fail' ? 'matching requests are denied' : w?.type === 'mutating' ? 'matching requests are admitted without its mutations' : 'matching requests are admitted unchecked');
      }
    }
    // Whole-gate alerts list every webhook path.
    const down = rules.find((r) => r.alert === 'PortcullisNoReadyReplicas')!.annotations.runbook;
    for (const w of bundle.webhooks) expect(down).toContain(`${w.path} (failurePolicy ${w.failurePolicy}, timeout ${w.timeoutSeconds}s`);
    expect(down).toContain('kube-state-metrics');
  });

  it("takes every threshold from the bundle: each webhook's timeout, the Deployment's bundle hash, the signature policies", () => {
    const latency = rules.filter((r) => r.alert === 'PortcullisLatencyNearTimeout');
    expect(latency.map((r) => r.labels.webhook).sort()).toEqual(bundle.webhooks.map((w) => w.path).sort());
    for (const w of bundle.webhooks) {
      const r = latency.find((x) => x.labels.webhook === w.path)!;
      const threshold = latencyThresholdSeconds(w.timeoutSeconds);
      expect(threshold).toBeLessThanOrEqual(w.timeoutSeconds / 2);
      expect(r.expr).toContain(`webhook="${w.path}"`);
      expect(r.expr).toContain(`le=~"${String(threshold).replace('.', '\\\\.')}(\\\\.0)?"`);
      expect(r.annotations.description).toContain(`longer than ${threshold}s (the webhook's timeoutSeconds is ${w.timeoutSeconds}, failurePolicy ${w.failurePolicy})`);
    }
    expect([latencyThresholdSeconds(5), latencyThresholdSeconds(10), latencyThresholdSeconds(15), latencyThresholdSeconds(30), latencyThresholdSeconds(1)]).toEqual([2.5, 5, 5, 10, 0.5]);
    const hash = find('Deployment').spec.template.metadata.annotations[BUNDLE_HASH_ANNOTATION];
    expect(hash).toBe(ref.hash);
    expect(rules.find((r) => r.alert === 'PortcullisBundleHashMismatch')!.expr).toContain(`hash!="${hash}"`);
    const signaturePolicies = bundle.policies.filter((p) => p.rules.some((r) => r.type === 'verifyImages' || r.type === 'verifyAttestations')).map((p) => p.name);
    expect(signaturePolicies).toEqual(['image-signatures', 'image-provenance']);
    expect(rules.filter((r) => r.alert === 'PortcullisSignatureVerificationErrors').map((r) => /policy="([^"]+)"/.exec(r.expr)?.[1])).toEqual(signaturePolicies);
  });

  it('has prometheus-operator objects with only CRD-defined fields (and the field check catches what it claims to)', () => {
    for (const o of pack.filter((x) => x.apiVersion === 'monitoring.coreos.com/v1')) expect(checkMonitoringObject(o), o.kind).toEqual([]);
    const pm = structuredClone(pack.find((o) => o.kind === 'PodMonitor')) as Json;
    pm.spec.podMetricsEndpoints[0].tlsConfig.serverNme = 'x';
    pm.spec.podMetricsEndpoints[0].scheme = 'HTTPS';
    delete pm.spec.selector;
    expect(checkMonitoringObject(pm).sort()).toEqual([
      'PodMonitor: .spec.podMetricsEndpoints[0].scheme must be one of http, https',
      'PodMonitor: .spec.selector is required',
      'PodMonitor: field .spec.podMetricsEndpoints[0].tlsConfig.serverNme is not defined',
    ]);
    const rule = structuredClone(pack.find((o) => o.kind === 'PrometheusRule')) as Json;
    rule.spec.groups[0].rules[0].for = 120;
    rule.spec.groups[0].rules[0].annotation = {};
    expect(checkMonitoringObject(rule).sort()).toEqual(['PrometheusRule: .spec.groups[0].rules[0].for must be a string', 'PrometheusRule: field .spec.groups[0].rules[0].annotation is not defined']);
    expect(checkMonitoringObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' })).toEqual(['no schema for monitoring.coreos.com/v1 ServiceMonitor']);
  });

  it('scrapes the runtime pods over HTTPS with the serving certificate\'s CA, by the labels the Deployment gives them', () => {
    const pm = pack.find((o) => o.kind === 'PodMonitor') as Json;
    const dep = find('Deployment');
    expect(matchesLabelSelector(pm.spec.selector, dep.spec.template.metadata.labels)).toBe(true);
    const [endpoint] = pm.spec.podMetricsEndpoints;
    expect(dep.spec.template.spec.containers[0].ports.map((p: { name: string }) => p.name)).toContain(endpoint.port);
    expect([endpoint.scheme, endpoint.path]).toEqual(['https', '/metrics']);
    const tlsSecret = dep.spec.template.spec.volumes.find((v: Json) => v.name === 'tls').secret.secretName;
    expect(endpoint.tlsConfig.ca.secret).toEqual({ name: tlsSecret, key: 'ca.crt' });
    const serving: Json = objects.map((o): Json => o.object).find((o: Json) => o.kind === 'Certificate' && o.spec.secretName === tlsSecret);
    expect(serving.spec.dnsNames).toContain(endpoint.tlsConfig.serverName);
  });

  it('ships a stable Grafana dashboard for the sidecar: decisions, latency, cache hit rate, bundle hash per pod, exemptions', () => {
    const cm = pack.find((o) => o.kind === 'ConfigMap') as Json;
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    expect(cm.data[DASHBOARD_FILE]).toBe(prettyCanonicalJson(dashboard));
    expect(dashboard.uid).toBe('portcullis-payments-platform');
    const titles = dashboard.panels.map((p: { title: string }) => p.title);
    for (const t of ['Decisions by policy and result', 'Latency by webhook (p50, p99)', 'Signature verdict cache hit rate', 'Bundle hash per pod', 'Exempted results by policy and rule', 'Exemptions applied', 'Exemptions: days until expiry']) {
      expect(titles).toContain(t);
    }
    for (const p of dashboard.panels) {
      expect(p.datasource.uid, p.title).toBe('${datasource}');
      for (const t of p.targets as DashboardTarget[]) expect(t.expr, p.title).toContain('namespace="$namespace"');
    }
    expect(dashboard.templating.list.find((v: Json) => v.name === 'namespace').query).toBe('portcullis-system');
    // Panels never overlap.
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x += 1) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y += 1) {
          expect(cells.has(`${x},${y}`), p.title).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    }
  });

  it('is optional: off by default and with `observability: false`; labels, PodMonitor and dashboard namespace are options', () => {
    const synthPack = (props: Parameters<typeof newApp>[0]) => {
      const out = tempDir();
      const app = newApp({ outdir: out, ...props });
      new PodSecurity(new Policy(app, 'pss', { mode: 'Enforce' }), 'restricted', { level: 'restricted', version: 'latest' });
      app.synth();
      return readManifests(out).filter((o) => o.object.apiVersion.startsWith('monitoring.coreos.com/') || o.file === FILE);
    };
    expect(synthPack({})).toEqual([]);
    expect(synthPack({ observability: false })).toEqual([]);
    const custom = synthPack({ observability: { labels: { release: 'kube-prometheus-stack' }, podMonitor: false, dashboardNamespace: 'monitoring' } });
    expect(custom.map((o) => o.object.kind)).toEqual(['PrometheusRule', 'ConfigMap']);
    expect(custom[0].object.metadata.labels?.release).toBe('kube-prometheus-stack');
    expect(custom[1].object.metadata.namespace).toBe('monitoring');
    expect(createReferenceApp({ outdir: tempDir(), now: NOW, observability: false }).synthYaml()).not.toContain('monitoring.coreos.com');
  });

  it('with a provided certificate, checks the scrape against the provided CA (a ConfigMap, public material only)', () => {
    const caPem = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ==\n-----END CERTIFICATE-----\n';
    const out = tempDir();
    const app = newApp({ outdir: out, observability: {}, tls: { mode: 'provided', caBundlePem: caPem, secretName: 'webhook-tls' } });
    new PodSecurity(new Policy(app, 'pss', { mode: 'Enforce' }), 'restricted', { level: 'restricted', version: 'latest' });
    app.synth();
    const objs: Json[] = readManifests(out).filter((o) => o.file === FILE).map((o): Json => o.object);
    const ca = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === METRICS_CA_CONFIG_MAP);
    expect(ca.data['ca.crt']).toBe(caPem);
    expect(objs.find((o) => o.kind === 'PodMonitor').spec.podMetricsEndpoints[0].tlsConfig.ca).toEqual({ configMap: { name: METRICS_CA_CONFIG_MAP, key: 'ca.crt' } });
  });
});

describe('every metric and label the rules and the dashboard use exists in a real scrape of the server', () => {
  const exprs = (): Array<{ where: string; expr: string }> => [
    ...rules.map((r) => ({ where: `alert ${r.alert}${r.labels.webhook === undefined ? '' : ` ${r.labels.webhook}`}`, expr: r.expr })),
    ...dashboardQueries(dashboard).map((expr, i) => ({ where: `dashboard query ${i + 1}`, expr })),
  ];

  it('the reading of PromQL finds metric names and matchers (and misses none in a known expression)', () => {
    expect(metricNames('sum by (webhook, le) (rate(a_bucket{x="{y}", le=~"5(\\\\.0)?"}[$__rate_interval])) / on (pod) b_total offset 5m > 1e3 and c')).toEqual(['a_bucket', 'b_total', 'c']);
    expect(metricNames('histogram_quantile(0.99, sum without (pod) (rate(d[5m]))) - time()')).toEqual(['d']);
    expect(selectors('m{a="1", b!~"x\\\\.y"} + n{}')).toEqual([
      { metric: 'm', matchers: [{ label: 'a', op: '=', value: '1' }, { label: 'b', op: '!~', value: 'x\\.y' }] },
      { metric: 'n', matchers: [] },
    ]);
  });

  it('the scrape comes from reviews answered allowed, denied (403) and denied by an evaluation error (500)', () => {
    expect(ref.outcomes.filter((o) => o.allowed).length).toBeGreaterThan(0);
    expect(ref.outcomes.some((o) => o.code === 403)).toBe(true);
    expect(ref.outcomes.some((o) => o.code === 500)).toBe(true);
    const names = new Set(ref.scrape.samples.map((s) => s.name));
    for (const m of KUBE_STATE_METRICS) expect(names.has(m), `${m} is not the runtime's`).toBe(false);
  });

  it('every metric name is in the scrape, or comes from kube-state-metrics', () => {
    const scraped = new Set(ref.scrape.samples.map((s) => s.name));
    const used = new Set<string>();
    for (const { where, expr } of exprs()) {
      const names = metricNames(expr);
      expect(names.length, where).toBeGreaterThan(0);
      for (const n of names) {
        used.add(n);
        expect(scraped.has(n) || KUBE_STATE_METRICS.includes(n), `${where}: ${n} is neither in the scrape nor from kube-state-metrics`).toBe(true);
      }
    }
    for (const m of ['portcullis_admission_requests_total', 'portcullis_admission_duration_seconds_bucket', 'portcullis_policy_results_total', 'portcullis_bundle_info', 'portcullis_bundle_reloads_total', 'portcullis_exemption_expiry_timestamp_seconds', 'portcullis_exemptions_applied_total', 'portcullis_signature_cache_hits_total', ...KUBE_STATE_METRICS]) {
      expect(used.has(m), m).toBe(true);
    }
  });

  it("every label matcher names a label of that metric in the scrape (or a PodMonitor target label), and every `=` value is one the server wrote", () => {
    const target = new Set(Object.keys(TARGET_LABELS));
    for (const { where, expr } of exprs()) {
      for (const s of selectors(expr)) {
        if (KUBE_STATE_METRICS.includes(s.metric)) continue;
        const samples = ref.scrape.samples.filter((x) => x.name === s.metric);
        expect(samples.length, `${where}: ${s.metric}`).toBeGreaterThan(0);
        for (const m of s.matchers) {
          if (target.has(m.label)) {
            if (m.label === 'namespace') expect(['portcullis-system', '$namespace'], where).toContain(m.value);
            continue;
          }
          const values = new Set(samples.map((x) => x.labels[m.label]).filter((v) => v !== undefined));
          expect(values.size, `${where}: ${s.metric} has no label ${m.label}`).toBeGreaterThan(0);
          if (m.op === '=') expect([...values], `${where}: ${s.metric}{${m.label}="${m.value}"}`).toContain(m.value);
          if (m.op === '=~') expect([...values].some((v) => new RegExp(`^(?:${m.value})$`).test(v)), `${where}: ${s.metric}{${m.label}=~"${m.value}"}`).toBe(true);
        }
      }
    }
  });
});

describe.skipIf(!available)('promtool (Debian prometheus package)', () => {
  let tests: PromtoolTestFile;

  beforeAll(() => {
    tests = promtoolTests(groups, ref.scrape, 'rules.yaml');
    writeFileSync(path.join(work, 'tests.yaml'), stringify(tests, { lineWidth: 0 }));
  });

  it('`promtool check rules` accepts the PrometheusRule groups (and refuses a broken copy)', () => {
    const ok = promtool(['check', 'rules', 'rules.yaml'], work);
    expect(ok.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(ok.status).toBe(0);
    const broken = structuredClone(groups);
    broken[0].rules[0].expr = broken[0].rules[0].expr.replace('== 0', '== ');
    writeFileSync(path.join(work, 'broken.yaml'), stringify({ groups: broken }));
    expect(promtool(['check', 'rules', 'broken.yaml'], work).status).not.toBe(0);
  });

  it('`promtool test rules`: a healthy hour fires nothing; each failure fires exactly its alert', () => {
    expect(OTHER_HASH).not.toBe(ref.hash);
    const alertnames = [...new Set(rules.map((r) => r.alert))].sort();
    const fired = new Set(firingCases().map((c) => c.alertname));
    expect([...fired].sort(), 'every alert has a firing case').toEqual(alertnames);
    const [healthy] = tests.tests;
    expect(healthy.alert_rule_test.map((t) => t.alertname)).toEqual(alertnames);
    expect(healthy.alert_rule_test.every((t) => t.exp_alerts.length === 0)).toBe(true);
    // The input series are the scrape's label sets plus the PodMonitor's target labels.
    const scraped = ref.scrape.samples.length;
    expect(healthy.input_series.length).toBe(scraped + 2);
    expect(healthy.input_series.some((s) => s.series.startsWith('portcullis_admission_requests_total{') && s.series.includes('decision="error_denied"') && s.series.includes(`pod="${TARGET_LABELS.pod}"`))).toBe(true);
    const r = promtool(['test', 'rules', 'tests.yaml'], work);
    expect(r.output, r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  });

  it('`promtool test rules` fails when an expectation is wrong (the cases can fail)', () => {
    const quietWhenFiring = structuredClone(tests);
    const firing = quietWhenFiring.tests[1].alert_rule_test.find((t) => t.exp_alerts.length > 0)!;
    firing.exp_alerts = [];
    const firingWhenHealthy = structuredClone(tests);
    firingWhenHealthy.tests[0].alert_rule_test[0].exp_alerts = tests.tests[1].alert_rule_test.find((t) => t.exp_alerts.length > 0)!.exp_alerts;
    const wrongAnnotation = structuredClone(tests);
    const exp = wrongAnnotation.tests[2].alert_rule_test.find((t) => t.exp_alerts.length > 0)!.exp_alerts[0];
    exp.exp_annotations.description = exp.exp_annotations.description.replace(/\d+(\.\d+)?%/, '1%');
    for (const [name, file] of Object.entries({ quietWhenFiring, firingWhenHealthy, wrongAnnotation })) {
      writeFileSync(path.join(work, `${name}.yaml`), stringify(file, { lineWidth: 0 }));
      const r = promtool(['test', 'rules', `${name}.yaml`], work);
      expect(r.status, `${name}: ${r.output}`).not.toBe(0);
    }
  });

  it('every dashboard query is valid PromQL (`promtool check rules` on them as recording rules)', () => {
    const record = dashboardQueries(dashboard).map((expr, i) => ({
      record: `portcullis:dashboard_query_${i + 1}`,
      expr: expr.replace(/\$__rate_interval/g, '2m').replace(/\$__range/g, '6h').replace(/\$namespace/g, 'portcullis-system'),
    }));
    mkdirSync(path.join(work, 'dashboard'), { recursive: true });
    writeFileSync(path.join(work, 'dashboard', 'queries.yaml'), stringify({ groups: [{ name: 'dashboard', rules: record }] }, { lineWidth: 0 }));
    const r = promtool(['check', 'rules', 'dashboard/queries.yaml'], work);
    expect(r.output, r.output).toContain(`SUCCESS: ${record.length} rules found`);
  });
});

describe('promtoolNumber', () => {
  it('writes scraped values in the notation promtool reads (no exponent, no NaN)', () => {
    expect([1806451200, 0.25, 5e-7, 1.5e-10, Number.NaN, Number.POSITIVE_INFINITY].map(promtoolNumber)).toEqual(['1806451200', '0.25', '0.0000005', '0.00000000015', '0', '0']);
  });
});

describe('renderAnnotation (the test oracle for rendered alert annotations)', () => {
  it('fills labels and the humanized value, and refuses what it cannot render', () => {
    expect(renderAnnotation('{{ $labels.pod }} at {{ $value | humanizePercentage }}', { pod: 'p' }, '50%')).toBe('p at 50%');
    expect(() => renderAnnotation('{{ $labels.nope }}', {}, undefined)).toThrow(/label nope/);
    expect(() => renderAnnotation('{{ $value | humanizeDuration }}', {}, undefined)).toThrow(/\$value/);
  });
});
