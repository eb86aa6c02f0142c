/**
 * Per-key serialization: appends to one key run one after another, and commits to one key never interleave.
 */

/** A mutex per string key; entries disappear when idle so memory follows the number of busy keys. */
export class KeyedMutex {
  #tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier `run` for `key` settled; resolves or rejects with `fn`'s outcome. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const tail = prev.then(() => mine);
    this.#tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      // Only the last waiter removes the entry; a later run() chained onto our tail keeps it.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
