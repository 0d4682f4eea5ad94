/** A first-in first-out queue that takes from the front without shifting the whole array each time. */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  /** How many wait. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** The `i`-th waiting (0 = the next out), or undefined past the end. */
  at(i: number): T | undefined {
    return this.head + i < this.items.length ? this.items[this.head + i] : undefined;
  }

  push(x: T): void {
    this.items.push(x);
  }

  /** The next `n` out of the queue (fewer when fewer wait). */
  take(n: number): T[] {
    const out = this.items.slice(this.head, this.head + n);
    this.head += out.length;
    if (this.head === this.items.length) this.clear();
    else if (this.head > 1024 && this.head * 2 > this.items.length) {
      // What was taken goes once it is most of the array.
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Empties the queue; what waited, in order. */
  clear(): T[] {
    const out = this.head === 0 ? this.items : this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return out;
  }
}
