/**
 * The in-flight budget for large bodies: the bookkeeping on its own, and over real HTTPS that
 * concurrent large UPDATE reviews are all answered correctly while no more than the budget of them
 * is held at once.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BodyBudget } from '../../runtime/server/body-budget';
import { COMPLIANT_CONTAINER, PATHS, pod, review, testBundle } from './fixtures';
import { startHarness, type Harness } from './harness';

describe('BodyBudget', () => {
  const MiB = 1024 * 1024;

  it('grants at once while the bytes fit, then in arrival order as bytes come back', () => {
    const budget = new BodyBudget({ capacityBytes: 10 * MiB, largeBodyBytes: MiB });
    const order: string[] = [];
    const a = budget.acquire(6 * MiB);
    const b = budget.acquire(6 * MiB);
    const c = budget.acquire(2 * MiB); // would fit beside a, but b came first: no overtaking
    expect([a.granted, b.granted, c.granted]).toEqual([true, false, false]);
    b.whenGranted(() => order.push('b'));
    c.whenGranted(() => order.push('c'));
    expect(budget.waits).toBe(2);
    a.release();
    expect(order).toEqual(['b', 'c']);
    expect(budget.heldBytes).toBe(8 * MiB);
    a.release(); // twice changes nothing
    expect(budget.heldBytes).toBe(8 * MiB);
    b.release();
    c.release();
    expect(budget.heldBytes).toBe(0);
    expect(budget.peakBytes).toBe(8 * MiB);
  });

  it('lets a body larger than the budget through alone, and a withdrawn waiter unblocks the next', () => {
    const budget = new BodyBudget({ capacityBytes: 4 * MiB, largeBodyBytes: MiB });
    const small = budget.acquire(2 * MiB);
    const huge = budget.acquire(64 * MiB);
    const next = budget.acquire(2 * MiB);
    let granted = false;
    next.whenGranted(() => (granted = true));
    expect(huge.granted).toBe(false);
    huge.release(); // its client went away while waiting
    expect(granted).toBe(true);
    small.release();
    next.release();
    const alone = budget.acquire(64 * MiB);
    expect(alone.granted).toBe(true);
    expect(budget.heldBytes).toBe(4 * MiB);
    alone.release();
    expect(budget.heldBytes).toBe(0);
  });

  it('only bodies above the threshold take part; nonsense settings are refused', () => {
    const budget = new BodyBudget({ capacityBytes: 4 * MiB, largeBodyBytes: MiB });
    expect(budget.isLarge(MiB)).toBe(false);
    expect(budget.isLarge(MiB + 1)).toBe(true);
    expect(() => new BodyBudget({ capacityBytes: 0, largeBodyBytes: 0 })).toThrow(/capacity/);
  });
});

describe('large reviews over HTTPS', () => {
  const bodyBytes = 1.5 * 1024 * 1024;
  let h: Harness;

  beforeAll(async () => {
    // Room for two ~1.5 MiB reviews at once; ordinary ones (≤ 256 KiB) pass freely.
    h = await startHarness(testBundle(), { bodyBudget: { capacityBytes: 2 * bodyBytes + 64 * 1024, largeBodyBytes: 256 * 1024 } });
  });
  afterAll(async () => {
    await h.close();
  });

  function bigUpdate(tag: string): ReturnType<typeof review> {
    const withBlob = (v: string): Record<string, unknown> => {
      const p = pod('web', [COMPLIANT_CONTAINER]) as { metadata: Record<string, unknown> };
      p.metadata.annotations = { 'example.com/blob': `${v}${'x'.repeat(bodyBytes / 2 - 4096)}` };
      return p;
    };
    return review({ operation: 'UPDATE', object: withBlob(`new-${tag}`), oldObject: withBlob(`old-${tag}`) });
  }

  it('answers every one of 8 concurrent large UPDATEs correctly, holding at most two at a time', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => bigUpdate(String(i)));
    expect(JSON.stringify(bodies[0]).length).toBeGreaterThan(bodyBytes * 0.9);
    const small = h.post(PATHS.validate, review({ object: pod('small', [COMPLIANT_CONTAINER]) }));
    const answers = await Promise.all(bodies.map((b) => h.post(PATHS.validate, b)));
    for (const [i, r] of answers.entries()) {
      expect(r.status).toBe(200);
      expect(r.json.response).toEqual({ uid: bodies[i].request.uid, allowed: true });
    }
    expect((await small).json.response.allowed).toBe(true);
    const budget = h.server.bodyBudget;
    expect(budget.peakBytes).toBeGreaterThan(bodyBytes);
    expect(budget.peakBytes).toBeLessThanOrEqual(budget.options.capacityBytes);
    expect(budget.waits).toBeGreaterThan(0);
    // Each body's bytes come back when its answer has been sent (the response's close event), which
    // can come just after the client has read the answer.
    await vi.waitFor(() => expect(budget.heldBytes).toBe(0));
    expect((await h.get('/metrics')).text).toMatch(/portcullis_body_budget_waits_total [1-9]/);
  });

  it('refuses a body declared above the body limit at once, without taking or waiting for budget', async () => {
    const held = h.server.bodyBudget.acquire(h.server.bodyBudget.options.capacityBytes); // budget spent
    try {
      const r = await h.post(PATHS.validate, '{}', { 'content-length': String(64 * 1024 * 1024) });
      expect(r.status).toBe(413);
      expect(h.server.bodyBudget.waiting).toBe(0);
    } finally {
      held.release();
    }
  });
});
