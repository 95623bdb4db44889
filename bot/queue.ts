/**
 * Jobs behind webhooks: the handler enqueues and returns at once (Probot answers the delivery only
 * after the handler), jobs for one environment run one at a time, and a redelivered webhook for a
 * comment already taken is dropped.
 */
export class JobQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly running = new Set<Promise<void>>();
  private readonly taken = new Set<string>();

  constructor(private readonly onError: (err: unknown) => void) {}

  /** False when a job with this dedupe key was already taken. */
  enqueue(lane: string, dedupeKey: string, job: () => Promise<void>): boolean {
    if (this.taken.has(dedupeKey)) return false;
    this.taken.add(dedupeKey);
    const previous = this.tails.get(lane) ?? Promise.resolve();
    // Start after the current turn of the event loop, so that the webhook is answered first.
    const next = previous
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(job)
      .catch(this.onError);
    this.tails.set(lane, next);
    this.running.add(next);
    void next.finally(() => {
      this.running.delete(next);
      if (this.tails.get(lane) === next) this.tails.delete(lane);
    });
    return true;
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves when every job enqueued so far (and those they enqueue) has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
