/**
 * The outputs of a sans-I/O machine (datagrams to send, events, connection commands): pushed
 * in order as the machine produces them, polled in that order by its driver. Its array is
 * reused once drained, so a steady exchange allocates nothing here.
 */
export class PollQueue<T> {
  private readonly items: T[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item not yet polled; undefined when none is left. */
  poll(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    return item;
  }

  /** Whether poll() has something. */
  get pending(): boolean {
    return this.head < this.items.length;
  }
}
