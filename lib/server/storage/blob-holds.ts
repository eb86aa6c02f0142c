/**
 * Reference counts of blobs being read, so a concurrent overwrite or delete never yanks bytes from under a GET.
 */

/** Counts readers per blob and remembers deletions requested while a blob was held. */
export class BlobHolds {
  #counts = new Map<string, number>();
  #doomed = new Set<string>();

  /** Pins `blobs`; the returned function unpins them (idempotent) and hands back blobs now due for deletion. */
  hold(blobs: readonly string[], onDue: (blob: string) => void): () => void {
    for (const b of blobs) this.#counts.set(b, (this.#counts.get(b) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const b of blobs) {
        const n = (this.#counts.get(b) ?? 1) - 1;
        if (n > 0) {
          this.#counts.set(b, n);
          continue;
        }
        this.#counts.delete(b);
        if (this.#doomed.delete(b)) onDue(b);
      }
    };
  }

  /** True (and remembered) when `blob` is held and must be deleted later; false when it can go now. */
  deferIfHeld(blob: string): boolean {
    if (!this.#counts.has(blob)) return false;
    this.#doomed.add(blob);
    return true;
  }
}
