/**
 * Prometheus metrics of one server instance (its own registry, so several servers can live in one
 * process, as in tests). The image verifier reports signature-cache hits and misses through the
 * small SignatureCacheMetrics interface.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RuleResult } from '../engine/types';

/** What runtime/images calls on every verdict-cache lookup. */
export interface SignatureCacheMetrics {
  cacheHit(): void;
  cacheMiss(): void;
}

/** Buckets resolve 1–100 ms finely (admission without registry calls lives there) and reach 10 s. */
export const LATENCY_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export class ServerMetrics implements SignatureCacheMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'webhook' | 'operation' | 'kind' | 'decision'>;
  private readonly duration: Histogram<'webhook'>;
  private readonly policyResults: Counter<'policy' | 'rule' | 'result'>;
  private readonly invalid: Counter<'reason'>;
  private readonly bundleInfo: Gauge<'hash' | 'name'>;
  private readonly bundleReloads: Counter<'result'>;
  private readonly tlsReloads: Counter<'result'>;
  private readonly cacheHits: Counter;
  private readonly cacheMisses: Counter;
  /** Bound label children, so the hot path does not hash label sets on every increment. */
  private readonly resultChildren = new Map<string, { inc(): void }>();
  private readonly requestChildren = new Map<string, { inc(): void }>();
  private readonly durationChildren = new Map<string, { observe(v: number): void }>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'portcullis_admission_requests_total',
      help: 'AdmissionReviews answered, by webhook path, operation, kind and decision',
      labelNames: ['webhook', 'operation', 'kind', 'decision'],
      registers,
    });
    this.duration = new Histogram({
      name: 'portcullis_admission_duration_seconds',
      help: 'Time from request received to response ready, by webhook path',
      labelNames: ['webhook'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.policyResults = new Counter({
      name: 'portcullis_policy_results_total',
      help: 'Rule results reported by the engine, by policy, rule and result',
      labelNames: ['policy', 'rule', 'result'],
      registers,
    });
    this.invalid = new Counter({
      name: 'portcullis_invalid_requests_total',
      help: 'Requests refused with 4xx before evaluation, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.bundleInfo = new Gauge({
      name: 'portcullis_bundle_info',
      help: 'The rule bundle being served (value 1), by content hash and name',
      labelNames: ['hash', 'name'],
      registers,
    });
    this.bundleReloads = new Counter({
      name: 'portcullis_bundle_reloads_total',
      help: 'Bundle (re)load attempts, by result (loaded, unchanged, refused)',
      labelNames: ['result'],
      registers,
    });
    this.tlsReloads = new Counter({
      name: 'portcullis_tls_reloads_total',
      help: 'Serving certificate reload attempts, by result (loaded, refused)',
      labelNames: ['result'],
      registers,
    });
    this.cacheHits = new Counter({
      name: 'portcullis_signature_cache_hits_total',
      help: 'Image signature verdicts served from cache',
      registers,
    });
    this.cacheMisses = new Counter({
      name: 'portcullis_signature_cache_misses_total',
      help: 'Image signature verdicts that needed a registry round trip',
      registers,
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'portcullis_' });
  }

  request(webhook: string, operation: string, kind: string, decision: string, seconds: number): void {
    const key = `${webhook}\0${operation}\0${kind}\0${decision}`;
    let child = this.requestChildren.get(key);
    if (child === undefined) {
      child = this.requests.labels({ webhook, operation, kind, decision });
      this.requestChildren.set(key, child);
    }
    child.inc();
    let histogram = this.durationChildren.get(webhook);
    if (histogram === undefined) {
      histogram = this.duration.labels({ webhook });
      this.durationChildren.set(webhook, histogram);
    }
    histogram.observe(seconds);
  }

  results(results: readonly RuleResult[]): void {
    for (const r of results) {
      const key = `${r.policy}\0${r.rule}\0${r.result}`;
      let child = this.resultChildren.get(key);
      if (child === undefined) {
        child = this.policyResults.labels({ policy: r.policy, rule: r.rule, result: r.result });
        this.resultChildren.set(key, child);
      }
      child.inc();
    }
  }

  invalidRequest(reason: string): void {
    this.invalid.inc({ reason });
  }

  bundleLoaded(hash: string, name: string): void {
    this.bundleInfo.reset();
    this.bundleInfo.set({ hash, name }, 1);
  }

  bundleReload(result: 'loaded' | 'unchanged' | 'refused'): void {
    this.bundleReloads.inc({ result });
  }

  tlsReload(result: 'loaded' | 'refused'): void {
    this.tlsReloads.inc({ result });
  }

  cacheHit(): void {
    this.cacheHits.inc();
  }

  cacheMiss(): void {
    this.cacheMisses.inc();
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
