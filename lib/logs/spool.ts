/**
 * The log sink's write-ahead spool: every write is appended to a local file before its callback (fsynced every
 * `fsyncIntervalMs`), and batches are read back from that file and shipped with the same intent protocol as
 * `oss-stream ship`, so a sink restarted on the same directory after a crash ships what was left, exactly once.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { contextOf, type Bucket } from '../bucket.js';
import { checkInteger, LOG_DEFAULTS } from '../config.js';
import { OssAbortError, OssArgumentError } from '../errors.js';
import type { ObjectRoller } from './object-roller.js';
import { resolveIntent, ShipStateFile, type ShipState } from './ship-state.js';

/** Options of a log sink's spool. */
export interface SpoolOptions {
  /** Directory of the spool file and its state; one sink at a time per directory. */
  dir: string;
  /**
   * How often the spool file is fsynced (default 1000 ms). Writes are in the file (safe from a process crash) before
   * their callback either way; this bounds what a power cut can lose. 0: fsync before every callback.
   */
  fsyncIntervalMs?: number | undefined;
}

const SPOOL_FILE = 'spool.log';

/** One directory's spool: the data file, its state file, and the shipping loop that reads the file back. */
export class Spool {
  readonly #dir: string;
  readonly #fsyncMs: number;
  readonly #cap: number;
  readonly #path: string;
  #roller!: ObjectRoller;
  #stateFile!: ShipStateFile;
  #state!: ShipState;
  #fh: FileHandle | undefined;
  #dev = 0;
  #ino = 0;
  /** Bytes in the spool file, and bytes of it stored. */
  #size = 0;
  #offset = 0;
  #pump: Promise<void> | undefined;
  /** Set once the offset is reconciled: shipping before that would start from a guess. */
  #opened = false;
  /** Writes and the emptying of the file run one at a time, so no write lands between a check and a truncate. */
  #io: Promise<unknown> = Promise.resolve();
  #error: Error | undefined;
  #lastSync = 0;
  #syncTimer: NodeJS.Timeout | undefined;
  #notice: (line: string) => void = () => undefined;

  constructor(opts: SpoolOptions, cap: number) {
    if (opts === null || typeof opts !== 'object' || typeof opts.dir !== 'string' || opts.dir === '') {
      throw new OssArgumentError('spool.dir must be a directory path', 'spool.dir');
    }
    this.#dir = resolve(opts.dir);
    this.#fsyncMs = checkInteger('spool.fsyncIntervalMs', opts.fsyncIntervalMs ?? LOG_DEFAULTS.spoolFsyncIntervalMs, 0);
    this.#cap = cap;
    this.#path = join(this.#dir, SPOOL_FILE);
  }

  /** Opens the spool; what an earlier run left unshipped is resolved against the object and shipped first. */
  async open(bucket: Bucket, roller: ObjectRoller, template: string, notice?: (line: string) => void): Promise<void> {
    this.#roller = roller;
    if (notice !== undefined) this.#notice = notice;
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    this.#stateFile = new ShipStateFile(this.#dir, bucket.name, template, [this.#path]);
    await this.#stateFile.sweep();
    this.#fh = await open(this.#path, 'a+', 0o600);
    const st = await this.#fh.stat();
    this.#dev = st.dev;
    this.#ino = st.ino;
    this.#size = st.size;
    const saved = await this.#stateFile.load();
    this.#state = saved ?? ShipStateFile.empty(bucket.name, template);
    await resolveIntent(contextOf(bucket), this.#state, this.#notice);
    const rec = this.#state.files[this.#path];
    // A record of another file (the spool was deleted and made again) or beyond the end (the crash came between
    // emptying the spool and recording it) ships the file from its start.
    this.#offset =
      rec !== undefined && rec.dev === st.dev && rec.ino === st.ino && rec.offset <= st.size ? rec.offset : 0;
    const obj = this.#state.object;
    if (obj !== null) await roller.adopt(obj.key, obj.seq, obj.prefix, obj.openedAt);
    this.#opened = true;
    if (this.#size > this.#offset) await this.drain();
  }

  /** Appends `bytes` to the spool file (and fsyncs when due); resolves once they are in the file. */
  write(bytes: Uint8Array): Promise<void> {
    return this.#serial(() => this.#write(bytes));
  }

  async #write(bytes: Uint8Array): Promise<void> {
    if (this.#error !== undefined) throw this.#error;
    const fh = this.#fh!;
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done);
      done += bytesWritten;
    }
    this.#size += bytes.byteLength;
    if (this.#fsyncMs === 0) await fh.sync();
    else this.#scheduleSync();
    if (this.#size - this.#offset >= this.#cap) this.#start(false);
  }

  /** Ships whole lines now (the flush timer). */
  kick(): void {
    this.#start(false);
  }

  /** Ships everything in the spool, a partial last line too, and resolves once it is stored. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.#error !== undefined) throw this.#error;
      if (this.#pump !== undefined) {
        await this.#pump.catch(() => undefined);
        continue;
      }
      if (this.#offset >= this.#size || !this.#opened) return;
      this.#start(true);
    }
  }

  /** Bytes written and not stored yet. */
  get backlog(): number {
    return this.#size - this.#offset;
  }

  /** Drains, records a clean state and closes the file. */
  async close(): Promise<void> {
    await this.drain();
    await this.#serial(() => this.#empty());
    await this.#fh?.sync();
    this.#clearSync();
    await this.#fh?.close();
    this.#fh = undefined;
  }

  /** Stops shipping (the sink was destroyed): what is in the file stays there for the next run. */
  async abort(): Promise<void> {
    this.#error ??= new OssAbortError('The log sink was destroyed: unshipped lines stay in the spool for the next run');
    await this.#pump?.catch(() => undefined);
    this.#clearSync();
    await this.#fh?.sync().catch(() => undefined);
    await this.#fh?.close().catch(() => undefined);
    this.#fh = undefined;
  }

  #start(all: boolean): void {
    if (!this.#opened || this.#pump !== undefined || this.#error !== undefined) return;
    this.#pump = this.#ship(all).then(
      () => {
        this.#pump = undefined;
      },
      (err: unknown) => {
        this.#pump = undefined;
        this.#error ??= err as Error;
        throw err;
      },
    );
    this.#pump.catch(() => undefined);
  }

  /** Ships batches while a full one is there (or, with `all`, until the spool is empty). */
  async #ship(all: boolean): Promise<void> {
    const fh = this.#fh!;
    const buf = Buffer.allocUnsafe(this.#cap);
    for (;;) {
      const available = this.#size - this.#offset;
      if (available <= 0) break;
      const n = Math.min(available, this.#cap);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh.read(buf, got, n - got, this.#offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      let end = got;
      if (!(all && got === available)) {
        const nl = buf.lastIndexOf(10, got - 1);
        if (nl >= 0) end = nl + 1;
        else if (got < this.#cap) break;
      }
      const fileStart = this.#offset;
      const fileEnd = fileStart + end;
      await this.#roller.append(buf.subarray(0, end), async (t) => {
        const cur = this.#roller.current!;
        this.#state.object = { key: cur.key, seq: cur.seq, prefix: cur.prefix, openedAt: cur.openedAt };
        this.#state.files[this.#path] = { dev: this.#dev, ino: this.#ino, fpLen: 0, fp: '', offset: fileStart };
        this.#state.intent = {
          path: this.#path,
          dev: this.#dev,
          ino: this.#ino,
          fileStart,
          fileEnd,
          key: t.key,
          objectStart: t.position,
          objectEnd: t.position + t.length,
        };
        await this.#stateFile.save(this.#state);
      });
      this.#offset = fileEnd;
      if (!all && this.#size - this.#offset < this.#cap) break;
    }
    if (this.#offset === this.#size && this.#size >= this.#cap) await this.#serial(() => this.#empty());
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#io.then(fn);
    this.#io = p.catch(() => undefined);
    return p;
  }

  /**
   * Everything is stored: empty the file so the spool does not grow forever. No write runs meanwhile; the file is
   * truncated first and the state recorded after, so a crash in between leaves a record beyond the file's end, which
   * {@link open} reads as "nothing left".
   */
  async #empty(): Promise<void> {
    if (this.#offset !== this.#size) return;
    await this.#fh!.truncate(0);
    this.#size = 0;
    this.#offset = 0;
    this.#state.intent = null;
    this.#state.files[this.#path] = { dev: this.#dev, ino: this.#ino, fpLen: 0, fp: '', offset: 0 };
    await this.#stateFile.save(this.#state);
  }

  #scheduleSync(): void {
    if (this.#syncTimer !== undefined) return;
    const wait = Math.max(0, this.#lastSync + this.#fsyncMs - Date.now());
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      this.#lastSync = Date.now();
      this.#fh?.sync().catch(() => undefined);
    }, wait);
    this.#syncTimer.unref();
  }

  #clearSync(): void {
    if (this.#syncTimer !== undefined) clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
  }
}
