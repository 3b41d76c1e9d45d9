/**
 * A byte budget for the large request bodies the server holds at once.
 *
 * A review's memory cost grows with its body: the received bytes, the decoded string and the
 * parsed object all live until the answer is sent. The API server can send up to twice its object
 * limit in one UPDATE (object + oldObject, ~6 MiB), and many at once when a controller rewrites big
 * objects; unbounded, 32 of them took the runtime to ~340 MiB RSS, past the Deployment's 256 MiB
 * memory limit (an OOM kill, which under failurePolicy Fail denies everyone's changes).
 *
 * So a request whose declared size (Content-Length; the body limit when it declares none) exceeds
 * `largeBodyBytes` holds that many bytes of the budget from before its body is read until its
 * response is finished or its connection closes. When the budget is spent, later large requests
 * wait in arrival order (FIFO, so a big one is never starved by smaller ones) with their bodies
 * unread — TCP back-pressure keeps them in the client, not here. A request larger than the whole
 * budget waits until it can have all of it. Small requests (every ordinary Pod or Deployment)
 * never touch the budget. Waiting is bounded by the server's request timeout.
 */
export interface BodyBudgetOptions {
  /** Bytes of large bodies held at once. */
  capacityBytes: number;
  /** Bodies above this size take part; smaller ones pass freely. */
  largeBodyBytes: number;
}

/** Defaults for the Deployment's 256 MiB: four ~6 MiB UPDATEs at once, everything ≤ 1 MiB free. */
export const DEFAULT_BODY_BUDGET: BodyBudgetOptions = { capacityBytes: 24 * 1024 * 1024, largeBodyBytes: 1024 * 1024 };

/** One request's claim on the budget. */
export interface BudgetTicket {
  /** Whether the bytes are held (from the start when they fitted at once). */
  readonly granted: boolean;
  /** Calls `callback` once the bytes are held (at once when they already are). */
  whenGranted(callback: () => void): void;
  /** Gives the bytes back, or withdraws a claim still waiting. Safe to call more than once. */
  readonly release: () => void;
}

class Ticket implements BudgetTicket {
  state: 'waiting' | 'held' | 'done' = 'waiting';
  private callback: (() => void) | undefined;

  constructor(
    private readonly budget: BodyBudget,
    readonly bytes: number,
  ) {}

  get granted(): boolean {
    return this.state === 'held';
  }

  whenGranted(callback: () => void): void {
    if (this.state === 'held') callback();
    else if (this.state === 'waiting') this.callback = callback;
  }

  grant(): void {
    this.state = 'held';
    const callback = this.callback;
    this.callback = undefined;
    callback?.();
  }

  readonly release = (): void => {
    if (this.state === 'done') return;
    const held = this.state === 'held';
    this.state = 'done';
    this.callback = undefined;
    this.budget.returned(this, held);
  };
}

export class BodyBudget {
  private inUse = 0;
  private readonly queue: Ticket[] = [];
  /** Most bytes held at once since start (tests, diagnostics). */
  peakBytes = 0;
  /** Requests that had to wait (since start). */
  waits = 0;

  constructor(readonly options: BodyBudgetOptions) {
    if (!(options.capacityBytes > 0) || !(options.largeBodyBytes >= 0)) {
      throw new Error(`body budget: capacity must be > 0 and the large-body threshold >= 0 (got ${options.capacityBytes}, ${options.largeBodyBytes})`);
    }
  }

  /** Whether a body of `declaredBytes` takes part. */
  isLarge(declaredBytes: number): boolean {
    return declaredBytes > this.options.largeBodyBytes;
  }

  get heldBytes(): number {
    return this.inUse;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Claims `declaredBytes` (at most the whole budget): held at once if they fit and nobody waits. */
  acquire(declaredBytes: number): BudgetTicket {
    const ticket = new Ticket(this, Math.min(Math.max(declaredBytes, 0), this.options.capacityBytes));
    if (this.queue.length === 0 && this.fits(ticket.bytes)) this.hold(ticket);
    else {
      this.waits += 1;
      this.queue.push(ticket);
    }
    return ticket;
  }

  /** A ticket was released: give its bytes back (or drop it from the queue) and grant who fits. */
  returned(ticket: Ticket, held: boolean): void {
    if (held) this.inUse -= ticket.bytes;
    else {
      const i = this.queue.indexOf(ticket);
      if (i !== -1) this.queue.splice(i, 1);
    }
    // Grant waiting tickets in arrival order while the head fits (a withdrawn head may have been
    // what blocked the next one).
    while (this.queue.length > 0 && this.fits(this.queue[0].bytes)) this.hold(this.queue.shift() as Ticket);
  }

  private hold(ticket: Ticket): void {
    this.inUse += ticket.bytes;
    if (this.inUse > this.peakBytes) this.peakBytes = this.inUse;
    ticket.grant();
  }

  private fits(bytes: number): boolean {
    return this.inUse + bytes <= this.options.capacityBytes;
  }
}
