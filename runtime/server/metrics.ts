/**
 * Prometheus metrics of one server instance (its own registry, so several servers can live in one
 * process, as in tests). The image verifier reports signature-cache hits and misses through the
 * small SignatureCacheMetrics interface.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Policy } from '../bundle';
import type { AppliedExemption, RuleResult } from '../engine/types';

/** What runtime/images calls on every verdict-cache lookup. */
export interface SignatureCacheMetrics {
  cacheHit(): void;
  cacheMiss(): void;
}

/** Buckets resolve 1–100 ms finely (admission without registry calls lives there) and reach 10 s. */
export const LATENCY_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Batch sizes: 1 when idle; under load, up to the connections the API server keeps open. */
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];

/** Increments pending for one label set of a DeferredCounter. */
interface CounterSlot<L extends string> {
  labels: Partial<Record<L, string>>;
  pending: number;
}

/**
 * Increments counted in plain numbers on the hot path and added to a prom-client counter when it is
 * collected (every scrape and every `get()`), so a request never hashes and validates label sets
 * (prom-client does both on every `inc`, bound children included). Slots are found through nested
 * maps keyed by the label values, in label order.
 */
class DeferredCounter<L extends string> {
  private readonly root = new Map<string, unknown>();
  private readonly slots: CounterSlot<L>[] = [];

  constructor(
    private readonly counter: Counter<L>,
    private readonly labelNames: readonly L[],
  ) {
    if (labelNames.length < 3 || labelNames.length > 4) throw new Error('DeferredCounter counts label sets of 3 or 4 values');
  }

  /** Values in `labelNames` order (`v3` only for four labels): no array is built per call. */
  inc(v0: string, v1: string, v2: string, v3?: string): void {
    this.slot(v0, v1, v2, v3).pending += 1;
  }

  /** The slot counting one label set (created on first use). */
  slot(v0: string, v1: string, v2: string, v3?: string): CounterSlot<L> {
    const four = this.labelNames.length === 4;
    let node = childOf(childOf(this.root, v0), v1);
    if (four) node = childOf(node, v2);
    const last = four ? (v3 as string) : v2;
    let slot = node.get(last) as CounterSlot<L> | undefined;
    if (slot === undefined) {
      const values = [v0, v1, v2, v3];
      const labels: Partial<Record<L, string>> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]));
      slot = { labels, pending: 0 };
      this.slots.push(slot);
      node.set(last, slot);
    }
    return slot;
  }

  /** Add what was counted since the last flush to the prom-client counter. */
  flush(): void {
    for (const slot of this.slots) {
      if (slot.pending === 0) continue;
      this.counter.inc(slot.labels, slot.pending);
      slot.pending = 0;
    }
  }
}

/** The map under `key` in a DeferredCounter's tree (created on first use). */
function childOf(node: Map<string, unknown>, key: string): Map<string, unknown> {
  let next = node.get(key) as Map<string, unknown> | undefined;
  if (next === undefined) {
    next = new Map<string, unknown>();
    node.set(key, next);
  }
  return next;
}

/** prom-client's per-label-set histogram state (Histogram#hashMap, prom-client 15). */
interface HistogramEntry {
  labels: Record<string, string | number>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/**
 * Latency observations counted per webhook in plain arrays (one count per bucket, plus sum and
 * count) on the hot path, and added to the prom-client histogram's own per-label-set state when it
 * is collected, so the exposition is prom-client's, unchanged. prom-client's `observe` validates
 * and hashes the label set on every call, bound children included; this does neither.
 */
class DeferredHistogram {
  private readonly slots = new Map<string, { counts: number[]; sum: number; count: number }>();

  constructor(
    private readonly histogram: Histogram<'webhook'>,
    private readonly bounds: readonly number[],
  ) {}

  observe(webhook: string, seconds: number): void {
    let slot = this.slots.get(webhook);
    if (slot === undefined) {
      slot = { counts: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.slots.set(webhook, slot);
    }
    // prom-client's bucket: the first upper bound the value does not exceed (none: only +Inf).
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && !(seconds <= bounds[i])) i += 1;
    if (i < bounds.length) slot.counts[i] += 1;
    slot.sum += seconds;
    slot.count += 1;
  }

  /** Add what was observed since the last flush to the histogram's state. */
  flush(): void {
    for (const [webhook, slot] of this.slots) {
      if (slot.count === 0) continue;
      const entry = this.entryFor(webhook);
      for (let i = 0; i < this.bounds.length; i += 1) {
        if (slot.counts[i] === 0) continue;
        entry.bucketValues[this.bounds[i]] += slot.counts[i];
        slot.counts[i] = 0;
      }
      entry.sum += slot.sum;
      entry.count += slot.count;
      slot.sum = 0;
      slot.count = 0;
    }
  }

  private entryFor(webhook: string): HistogramEntry {
    const find = (): HistogramEntry | undefined =>
      Object.values((this.histogram as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap).find((e) => e.labels.webhook === webhook);
    const existing = find();
    if (existing !== undefined) return existing;
    // zero() creates the label set's entry the way observe() would (every bucket at 0).
    this.histogram.zero({ webhook });
    const created = find();
    if (created === undefined) throw new Error(`histogram label set webhook=${webhook} missing after zero()`);
    return created;
  }
}

export class ServerMetrics implements SignatureCacheMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'webhook' | 'operation' | 'kind' | 'decision'>;
  private readonly duration: Histogram<'webhook'>;
  private readonly policyResults: Counter<'policy' | 'rule' | 'result'>;
  private readonly invalid: Counter<'reason'>;
  private readonly bundleInfo: Gauge<'hash' | 'name'>;
  private readonly bundleReloads: Counter<'result'>;
  private readonly exemptionExpiry: Gauge<'policy' | 'exemption' | 'owner'>;
  private readonly exemptionsUsed: Counter<'policy' | 'exemption'>;
  private readonly tlsReloads: Counter<'result'>;
  private readonly bodyBudgetWaits: Counter;
  private readonly batchSizes: Histogram;
  private readonly cacheHits: Counter;
  private readonly cacheMisses: Counter;
  /** Hot-path counts, added to the two counters above when they are collected. */
  private readonly requestCounts: DeferredCounter<'webhook' | 'operation' | 'kind' | 'decision'>;
  private readonly resultCounts: DeferredCounter<'policy' | 'rule' | 'result'>;
  /** Result objects seen before → their counter slot (weak: a reloaded bundle's go away). */
  private readonly resultSlots = new WeakMap<RuleResult, CounterSlot<'policy' | 'rule' | 'result'>>();
  private readonly durations: DeferredHistogram;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const flushRequests = (): void => this.requestCounts.flush();
    this.requests = new Counter({
      name: 'portcullis_admission_requests_total',
      help: 'AdmissionReviews answered, by webhook path, operation, kind and decision',
      labelNames: ['webhook', 'operation', 'kind', 'decision'],
      registers,
      collect: flushRequests,
    });
    this.requestCounts = new DeferredCounter(this.requests, ['webhook', 'operation', 'kind', 'decision']);
    this.duration = new Histogram({
      name: 'portcullis_admission_duration_seconds',
      help: 'Time from request received to response ready, by webhook path',
      labelNames: ['webhook'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
      collect: () => this.durations.flush(),
    });
    this.durations = new DeferredHistogram(this.duration, LATENCY_BUCKETS_SECONDS);
    const flushResults = (): void => this.resultCounts.flush();
    this.policyResults = new Counter({
      name: 'portcullis_policy_results_total',
      help: 'Rule results reported by the engine, by policy, rule and result',
      labelNames: ['policy', 'rule', 'result'],
      registers,
      collect: flushResults,
    });
    this.resultCounts = new DeferredCounter(this.policyResults, ['policy', 'rule', 'result']);
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
    this.exemptionExpiry = new Gauge({
      name: 'portcullis_exemption_expiry_timestamp_seconds',
      help: 'Expiry (Unix seconds) of each exemption in the bundle being served, by policy, exemption and owner; exemptions without an expiry have no series',
      labelNames: ['policy', 'exemption', 'owner'],
      registers,
    });
    this.exemptionsUsed = new Counter({
      name: 'portcullis_exemptions_applied_total',
      help: 'Evaluated reviews (not dry runs) in which an exemption relieved a finding, by policy and exemption (names from the bundle)',
      labelNames: ['policy', 'exemption'],
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
    this.bodyBudgetWaits = new Counter({
      name: 'portcullis_body_budget_waits_total',
      help: 'Large requests whose body waited for room in the in-flight body budget',
      registers,
    });
    this.batchSizes = new Histogram({
      name: 'portcullis_admission_batch_size',
      help: 'AdmissionReviews evaluated together in one event-loop turn (runtime/server/turn-batch.ts)',
      buckets: BATCH_SIZE_BUCKETS,
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
    this.requestCounts.inc(webhook, operation, kind, decision);
    this.durations.observe(webhook, seconds);
  }

  results(results: readonly RuleResult[]): void {
    for (const r of results) {
      // The engine hands out one shared result object per rule and result kind: one identity
      // lookup finds its slot; the label-value walk runs once per such object.
      let slot = this.resultSlots.get(r);
      if (slot === undefined) {
        slot = this.resultCounts.slot(r.policy, r.rule, r.result);
        this.resultSlots.set(r, slot);
      }
      slot.pending += 1;
    }
  }

  /**
   * The exemptions one review used (`Decision.exemptions`, present only when one applied): each
   * (policy, exemption) counts once per review. Label values are the bundle's names only.
   */
  exemptionsApplied(applied: readonly AppliedExemption[]): void {
    for (let i = 0; i < applied.length; i += 1) {
      const a = applied[i];
      let first = true;
      for (let j = 0; j < i; j += 1) if (applied[j].exemption === a.exemption && applied[j].policy === a.policy) first = false;
      if (first) this.exemptionsUsed.inc({ policy: a.policy, exemption: a.exemption.name });
    }
  }

  invalidRequest(reason: string): void {
    this.invalid.inc({ reason });
  }

  bundleLoaded(hash: string, name: string): void {
    this.bundleInfo.reset();
    this.bundleInfo.set({ hash, name }, 1);
  }

  /**
   * The exemptions of the bundle now being served: one series per exemption with an expiry, set at
   * every bundle load (the previous bundle's series go away), so the label values are bounded by
   * the bundle, never by request content.
   */
  exemptionsLoaded(policies: readonly Pick<Policy, 'name' | 'exemptions'>[]): void {
    this.exemptionExpiry.reset();
    for (const policy of policies) {
      for (const e of policy.exemptions) {
        if (e.expiresAt === undefined) continue;
        const ms = Date.parse(e.expiresAt);
        if (Number.isNaN(ms)) continue;
        this.exemptionExpiry.set({ policy: policy.name, exemption: e.name, owner: e.owner }, ms / 1000);
      }
    }
  }

  bundleReload(result: 'loaded' | 'unchanged' | 'refused'): void {
    this.bundleReloads.inc({ result });
  }

  tlsReload(result: 'loaded' | 'refused'): void {
    this.tlsReloads.inc({ result });
  }

  bodyBudgetWait(): void {
    this.bodyBudgetWaits.inc();
  }

  /** One batch of reviews evaluated together (once per busy event-loop turn, not per review). */
  batch(size: number): void {
    this.batchSizes.observe(size);
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
