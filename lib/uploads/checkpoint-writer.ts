/**
 * Saves a checkpoint record after each finished part without ever running two saves of one record at once:
 * parts that finish while a save is in flight are folded into the next save. With a minimum interval, saves are also
 * spaced out in time, except the ones asked for with save() or flush().
 */
import type { CheckpointPart, CheckpointRecord } from './checkpoint-record.js';
import type { CheckpointStore } from './resumable-store.js';

/**
 * The one writer of one record. Saves are serialized (a store's atomic replace is not a queue: two overlapping
 * renames could land out of order and put an older record last) and coalesced (a burst of finished parts costs
 * one or two writes, not one each). A part is durable once the save that follows its {@link add} resolved; with
 * `minIntervalMs`, that save starts at most that long after the one before it started.
 */
export class CheckpointWriter {
  readonly #store: CheckpointStore;
  readonly #record: CheckpointRecord;
  readonly #onError: (err: unknown) => void;
  #saving: Promise<void> | undefined;
  #dirty = false;
  #error: unknown = undefined;
  #failed = false;
  readonly #minIntervalMs: number;
  #lastStart = -Infinity;
  // A save waiting for the interval to pass, and whether a caller wants it now.
  #wake: (() => void) | undefined;
  #urgent = false;

  /**
   * @param store - where the record goes
   * @param record - the record, owned by the writer from now on
   * @param onError - called once with the first failed save (the upload decides whether that stops it)
   * @param minIntervalMs - the least time from one save's start to the next one's, unless save() or flush() asks
   *   for it now (default 0: after every part)
   */
  constructor(
    store: CheckpointStore,
    record: CheckpointRecord,
    onError: (err: unknown) => void = () => {},
    minIntervalMs = 0,
  ) {
    this.#store = store;
    this.#record = record;
    this.#onError = onError;
    this.#minIntervalMs = minIntervalMs;
  }

  /** The record as it will be written next (parts ascending). */
  get record(): Readonly<CheckpointRecord> {
    return this.#record;
  }

  /** Records a stored part and schedules a save. */
  add(part: CheckpointPart): void {
    const parts = this.#record.parts;
    const i = parts.findIndex((p) => p.partNumber >= part.partNumber);
    if (i < 0) parts.push(part);
    else if (parts[i]!.partNumber === part.partNumber) parts[i] = part;
    else parts.splice(i, 0, part);
    this.#schedule();
  }

  /** Saves now (or right after the save in flight); resolves when everything added so far is written. */
  save(): Promise<void> {
    this.#schedule();
    return this.flush();
  }

  /**
   * Writes what is pending now, without waiting for the interval, and resolves once no save is pending; rejects
   * with the first save error, if any.
   */
  async flush(): Promise<void> {
    while (this.#saving !== undefined) {
      this.#urgent = true;
      this.#wake?.();
      await this.#saving;
    }
    if (this.#failed) throw this.#error;
  }

  #schedule(): void {
    if (this.#failed) return;
    if (this.#saving !== undefined) {
      this.#dirty = true;
      return;
    }
    this.#saving = this.#loop();
  }

  async #loop(): Promise<void> {
    try {
      do {
        const wait = this.#lastStart + this.#minIntervalMs - performance.now();
        if (wait > 0 && !this.#urgent) {
          // Not unref'd: a pending save keeps the process up until it is written.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, wait);
            this.#wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.#wake = undefined;
        }
        this.#dirty = false;
        this.#lastStart = performance.now();
        // A copy: a store may keep what it is given, and this record keeps changing.
        await this.#store.save({ ...this.#record, parts: this.#record.parts.map((p) => ({ ...p })) });
      } while (this.#dirty);
    } catch (err) {
      this.#failed = true;
      this.#error = err;
      this.#onError(err);
    } finally {
      this.#saving = undefined;
      this.#urgent = false;
    }
  }
}
