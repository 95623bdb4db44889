/**
 * Jobs behind webhooks: the handler enqueues and returns at once (Probot answers the delivery only
 * after the handler), and jobs in one lane (an environment, or a pull request) run one at a time in
 * this process. Nothing here de-duplicates: a redelivery, a restart or a second replica is made
 * safe by reading the request's state from GitHub under the environment lock.
 */
export class JobQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly onError: (err: unknown) => void) {}

  enqueue(lane: string, job: () => Promise<void>): void {
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
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves when every job enqueued so far (and those they enqueue) has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
