/**
 * Delivery in order over a network that reorders (jitter): what a TCP or gRPC stream gives its
 * reader. Each message of a stream carries a sequence number from 0; one that overtook another
 * waits until the one before it has been taken.
 */
export class InOrder {
  private nextSeq = 0;
  private readonly waiting = new Map<number, () => void>();

  /** The sequence number due next. */
  get next(): number {
    return this.nextSeq;
  }

  /** True while a message that arrived waits for an earlier one (a gap). */
  get gap(): boolean {
    return this.waiting.size > 0;
  }

  /**
   * A message arrived: `apply` runs now if it is the one due (then any that waited for it, in
   * order), later otherwise. A message already taken (a duplicate) is ignored.
   */
  arrive(seq: number, apply: () => void): void {
    if (seq < this.nextSeq) return;
    if (seq > this.nextSeq) {
      this.waiting.set(seq, apply);
      return;
    }
    let next: (() => void) | undefined = apply;
    while (next) {
      this.nextSeq++;
      next();
      next = this.waiting.get(this.nextSeq);
      this.waiting.delete(this.nextSeq);
    }
  }

  /** A new stream: sequence numbers start at 0 again. */
  reset(): void {
    this.nextSeq = 0;
    this.waiting.clear();
  }
}
