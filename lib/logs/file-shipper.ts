/**
 * The engine of `oss-stream ship`: follows files like `tail -F` (rotation by rename and by copytruncate) and ships
 * their lines into rolling appendable objects exactly once across crashes. The object's length is the cursor of
 * truth; the state file records, before any byte it does not cover is sent, which file bytes go where (a run of
 * appends uncompressed, one append with gzip), so a restart after a `kill -9` at any instant knows from the object's
 * real length how far they landed.
 */
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { contextOf, type Bucket } from '../bucket.js';
import { checkInteger, LOG_DEFAULTS } from '../config.js';
import { OssArgumentError } from '../errors.js';
import { FINGERPRINT_BYTES, findFile, identify, sameStart, siblings, type FileIdentity } from './file-identity.js';
import type { KeyTemplate } from './key-template.js';
import { resolveRolling, type RollingOptions } from './rolling-options.js';
import { ObjectRoller, type FailedObject, type RolledObject } from './object-roller.js';
import { inRun, resolveIntent, ShipStateFile, type ShipState } from './ship-state.js';

/** Options of {@link FileShipper}: the rolling options of `createLogSink`, and how files are followed. */
interface FileShipperOptions extends RollingOptions {
  /** Directory of the state file (one file per bucket, template and set of paths). */
  stateDir: string;
  /** Ship what the files hold now (whole lines) and stop, instead of following them. */
  once?: boolean | undefined;
  /** How often files are checked when no file-system event came (default 250 ms). */
  pollIntervalMs?: number | undefined;
  /** Things a user should know (a rotated file that vanished before it was shipped…). */
  onNotice?: ((line: string) => void) | undefined;
}

/** Progress of a shipper. */
interface ShipProgress {
  /** File bytes shipped by this run. */
  bytes: number;
  batches: number;
  /** Objects closed by this run. */
  objects: number;
  /** Bytes written to the followed files and not shipped yet (at the last check). */
  lag: number;
  /** The object being appended to. */
  key: string | undefined;
}

interface Tracked {
  fh: FileHandle;
  id: FileIdentity;
  offset: number;
  /** Still the file at the followed path (else: rotated away, shipped to its end, then the next one). */
  live: boolean;
  mtimeMs: number;
  /** The inode of the file read (a copytruncate copy carries the identity of the file it copies, not its own). */
  realIno: number;
}

interface Source {
  path: string;
  cur: Tracked | undefined;
  /** Rotated files to ship after `cur`, oldest first, before the file at the path. */
  queue: Tracked[];
  lastShipAt: number;
  /** The last batch was a full one: what is left is the end of a backlog, shipped without waiting for the timer. */
  behind: boolean;
  /** The rotated file shipped to its end last, until the file at the path is taken up after it. */
  prev: Tracked | undefined;
  lag: number;
}

/**
 * Follows `paths` and ships them to `bucket` under the key template; see `oss-stream ship`. One shipper per state
 * file at a time. Emits `'following'` (the files are on record), `'roll'` ({@link RolledObject}), `'objectFailed'` and
 * `'progress'` ({@link ShipProgress}).
 *
 * @example
 * ```ts
 * const shipper = new FileShipper(bucket, ['/var/log/app.log'], {
 *   key: 'logs/{hostname}/app-{seq}.log',
 *   stateDir: '/var/lib/ship',
 * });
 * process.on('SIGTERM', () => shipper.stop());
 * await shipper.run();
 * ```
 */
export class FileShipper extends EventEmitter {
  readonly #bucket: Bucket;
  readonly #sources: Source[];
  readonly #roller: ObjectRoller;
  readonly #template: KeyTemplate;
  readonly #stateFile: ShipStateFile;
  readonly #cap: number;
  /** Largest batch, when more than one batch is waiting (catching up): fewer, larger appends. */
  readonly #catchUp: number;
  /** The one batch buffer (appends are one at a time, so it is free again when the next batch is read). */
  #buf: Buffer | undefined;
  /** Uncompressed: one intent covers a run of appends (see ship-state.ts). */
  readonly #linear: boolean;
  readonly #rollBytes: number;
  readonly #runBytes: number;
  readonly #intervalMs: number;
  readonly #pollMs: number;
  readonly #once: boolean;
  readonly #notice: (line: string) => void;
  #state: ShipState;
  #stopping = false;
  /**
   * Set at a graceful stop: each source's file then (inode) and its size then. A stop ships up to there and no
   * further, so a writer faster than the link cannot hold it back; later bytes wait for the next run, in the files.
   */
  #stopAt: Map<Source, { ino: number; size: number } | undefined> | undefined;
  #wake: (() => void) | undefined;
  #watchers: FSWatcher[] = [];
  readonly #progress: ShipProgress = { bytes: 0, batches: 0, objects: 0, lag: 0, key: undefined };

  constructor(bucket: Bucket, paths: readonly string[], opts: FileShipperOptions) {
    super();
    if (!Array.isArray(paths) || paths.length === 0)
      throw new OssArgumentError('ship needs at least one file', 'paths');
    this.#bucket = bucket;
    const abs = [...new Set(paths.map((p) => resolve(p)))];
    this.#sources = abs.map((path) => ({
      path,
      cur: undefined,
      queue: [],
      lastShipAt: 0,
      behind: false,
      lag: 0,
      prev: undefined,
    }));
    const r = resolveRolling(bucket, opts, {
      signal: undefined,
      batchBytes: (flushBytes, rollBytes) => Math.min(flushBytes * LOG_DEFAULTS.shipCatchUpBatches, rollBytes),
    });
    this.#template = r.template;
    this.#cap = r.flushBytes;
    this.#catchUp = r.roller.maxBatchBytes;
    this.#linear = r.compress === 'none';
    this.#rollBytes = r.roller.rollBytes;
    this.#runBytes = LOG_DEFAULTS.shipRunBytes;
    this.#intervalMs = r.flushIntervalMs;
    this.#pollMs = checkInteger('pollIntervalMs', opts.pollIntervalMs ?? LOG_DEFAULTS.pollIntervalMs, 1);
    this.#roller = new ObjectRoller(bucket, this.#template, r.roller);
    this.#roller.on('roll', (o: RolledObject) => {
      this.#progress.objects++;
      this.emit('roll', o);
    });
    this.#roller.on('objectFailed', (f: FailedObject) => this.emit('objectFailed', f));
    if (typeof opts.stateDir !== 'string' || opts.stateDir === '')
      throw new OssArgumentError('stateDir must be a directory path', 'stateDir');
    this.#stateFile = new ShipStateFile(opts.stateDir, bucket.name, opts.key, abs);
    this.#state = ShipStateFile.empty(bucket.name, opts.key);
    this.#once = opts.once ?? false;
    this.#notice = opts.onNotice ?? (() => undefined);
  }

  /** The state file's path. */
  get stateFile(): string {
    return this.#stateFile.file;
  }

  /** Progress so far. */
  get progress(): Readonly<ShipProgress> {
    return { ...this.#progress };
  }

  /**
   * Ships the whole lines the files hold now, then resolves {@link run}: a graceful stop (SIGINT/SIGTERM). What is
   * written later (even while the stop ships) is shipped by the next run, from the files.
   */
  stop(): void {
    this.#stopping = true;
    this.#wake?.();
  }

  /** Reconciles with the object, then follows the files until {@link stop} (or, with `once`, until caught up). */
  async run(): Promise<ShipProgress> {
    await this.#stateFile.sweep();
    await this.#reconcile();
    for (const s of this.#sources) await this.#locate(s);
    await this.#pinNewFiles();
    this.emit('following');
    if (!this.#once) this.#watch();
    try {
      for (;;) {
        let worked = false;
        for (const s of this.#sources) while (await this.#step(s)) worked = true;
        this.#progress.lag = this.#sources.reduce((sum, s) => sum + s.lag, 0);
        this.emit('progress', this.progress);
        if (!worked && (this.#once || this.#stopping)) break;
        if (!worked) await this.#sleep(this.#stopping ? 0 : this.#pollMs);
      }
      // Leave a clean record: every intent resolved, offsets final. The object stays open for the next run.
      this.#state.intent = null;
      for (const s of this.#sources) if (s.cur !== undefined) this.#record(s, s.cur);
      await this.#stateFile.save(this.#state);
    } finally {
      for (const w of this.#watchers) w.close();
      this.#roller.destroy();
      for (const s of this.#sources) for (const t of [s.cur, ...s.queue]) await t?.fh.close().catch(() => undefined);
    }
    return this.progress;
  }

  /** Resolves the append that may have been in flight at the last crash, from the object's real length. */
  async #reconcile(): Promise<void> {
    const saved = await this.#stateFile.load();
    if (saved === undefined) return;
    this.#state = saved;
    await resolveIntent(contextOf(this.#bucket), saved, this.#notice);
    if (saved.object !== null)
      await this.#roller.adopt(saved.object.key, saved.object.seq, saved.object.prefix, saved.object.openedAt);
  }

  /**
   * Puts on record, before anything is shipped, the file at each path no earlier run knew: a shipper killed before its
   * first append would otherwise leave no trace of it, and the next run would start at whatever file is at the path
   * by then, losing the lines rotated away meanwhile. Once `'following'` is emitted, every byte of these files is
   * shipped exactly once, whatever happens next.
   */
  async #pinNewFiles(): Promise<void> {
    let pinned = false;
    for (const s of this.#sources) {
      if (s.cur !== undefined || this.#state.files[s.path] !== undefined) continue;
      try {
        const fh = await open(s.path, 'r');
        const id = await identify(fh);
        s.cur = { fh, id, offset: 0, live: true, mtimeMs: id.mtimeMs, realIno: id.ino };
        this.#record(s, s.cur);
        pinned = true;
      } catch {
        // not there yet: the file that appears is the first one, from its first byte
      }
    }
    if (pinned) await this.#stateFile.save(this.#state);
  }

  /** Finds where each path stands: the recorded file (maybe rotated away since), what came after it, then the path. */
  async #locate(s: Source): Promise<void> {
    const rec = this.#state.files[s.path];
    if (rec === undefined) return;
    const found = await findFile(s.path, rec, rec.offset);
    if (found === undefined) {
      this.#notice(
        `${s.path}: the file shipped up to byte ${rec.offset} is gone (rotated and removed, or compressed); ` +
          'its unshipped lines are lost, continuing with the current file',
      );
      return;
    }
    const live = found.path === s.path;
    s.cur = {
      fh: found.fh,
      id: { dev: rec.dev, ino: rec.ino, fpLen: rec.fpLen, fp: rec.fp },
      offset: rec.offset,
      live,
      mtimeMs: found.mtimeMs,
      realIno: found.ino,
    };
    if (!live) s.queue = await this.#successors(s, s.cur);
  }

  /**
   * Rotated files newer than `t` (they were rotated after it), oldest first, not counting the file at the path, nor
   * `next` (the file at the path, already open) and copies of it (its truncation finds them).
   */
  async #successors(s: Source, t: Tracked, next?: Tracked): Promise<Tracked[]> {
    const liveIno = await stat(s.path).then(
      (st) => st.ino,
      () => undefined,
    );
    const out: Tracked[] = [];
    for (const sib of await siblings(s.path)) {
      if (sib.mtimeMs <= t.mtimeMs || sib.ino === t.realIno || sib.ino === liveIno || sib.ino === next?.realIno)
        continue;
      try {
        const fh = await open(sib.path, 'r');
        const id = await identify(fh);
        if (next !== undefined && next.id.fpLen > 0 && (await sameStart(fh, next.id))) {
          await fh.close();
          continue;
        }
        out.push({ fh, id, offset: 0, live: false, mtimeMs: id.mtimeMs, realIno: id.ino });
      } catch {
        // rotated away meanwhile
      }
    }
    return out;
  }

  /** Where a graceful stop ends: each source's current file and its size at the first step after {@link stop}. */
  async #fixStopPoint(): Promise<void> {
    const at = new Map<Source, { ino: number; size: number } | undefined>();
    for (const s of this.#sources) {
      const c = s.cur;
      const size =
        c === undefined
          ? undefined
          : await c.fh.stat().then(
              (st) => st.size,
              () => undefined,
            );
      at.set(s, c === undefined || size === undefined ? undefined : { ino: c.realIno, size });
    }
    this.#stopAt = at;
  }

  /** One unit of work on a source; false when there is nothing to do right now. */
  async #step(s: Source): Promise<boolean> {
    if (this.#stopping && this.#stopAt === undefined) await this.#fixStopPoint();
    if (s.cur === undefined) {
      const next = s.queue.shift();
      if (next !== undefined) {
        s.cur = next;
        if (next.live) s.prev = undefined;
        return true;
      }
      // Stopping: a file that appeared at the path since holds only bytes written after the stop.
      if (this.#stopAt !== undefined) return false;
      let t: Tracked;
      try {
        const fh = await open(s.path, 'r');
        const id = await identify(fh);
        t = { fh, id, offset: 0, live: true, mtimeMs: id.mtimeMs, realIno: id.ino };
      } catch {
        s.lag = 0;
        return false;
      }
      // Files rotated away after the last look at the directory and before this open (the file that was at the path
      // then, renamed, or its copy before a truncation) come first: looked for now that the file at the path is open,
      // so a rotation is either among them or, if later, one of this file's own (followed through its handle).
      if (s.prev !== undefined) {
        s.queue = await this.#successors(s, s.prev, t);
        s.prev = undefined;
        if (s.queue.length > 0) {
          s.queue.push(t);
          return true;
        }
      }
      s.cur = t;
      return true;
    }
    const c = s.cur;
    if (await this.#rotated(s, c)) return true;
    const st = await c.fh.stat();
    const stopAt = this.#stopAt?.get(s);
    // Stopping: the file that was current at the stop ends where it ended then.
    const bounded = stopAt !== undefined && stopAt.ino === c.realIno && stopAt.size < st.size;
    const available = (bounded ? stopAt.size : st.size) - c.offset;
    s.lag = Math.max(0, st.size - c.offset);
    if (bounded && available <= 0) return false;
    if (available <= 0) {
      if (c.live) return false;
      // A rotated file shipped to its end: on to what came after it. Its record says so from the next save on, which
      // may be another file's (an older record of it would ship its last run again after a crash).
      this.#record(s, c);
      await c.fh.close();
      c.mtimeMs = st.mtimeMs;
      s.cur = undefined;
      s.prev = c;
      if (s.queue.length === 0) s.queue = await this.#successors(s, c);
      return true;
    }
    const now = Date.now();
    const due =
      available >= this.#cap ||
      s.behind ||
      !c.live ||
      this.#once ||
      this.#stopping ||
      now - s.lastShipAt >= this.#intervalMs;
    if (!due) return false;
    const n = Math.min(available, this.#catchUp);
    this.#buf ??= Buffer.allocUnsafeSlow(this.#catchUp);
    const buf = this.#buf;
    let got = 0;
    while (got < n) {
      const { bytesRead } = await c.fh.read(buf, got, n - got, c.offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    // Nothing, or other bytes than the file's: truncated since the size was read. The next step finds the copy.
    if (got === 0 || !(await sameStart(c.fh, c.id))) return true;
    let end = got;
    // A file that is still written may end in half a line: ship up to the last newline and wait for the rest. A
    // rotated file's last bytes go as they are, and a line longer than a batch is cut at flushBytes.
    if (c.live || bounded || got < available) {
      const nl = buf.lastIndexOf(10, got - 1);
      if (nl >= 0) end = nl + 1;
      else if (got < this.#cap) return false;
      else end = this.#cap;
    }
    if (end === 0) return false;
    const fileStart = c.offset;
    const fileEnd = c.offset + end;
    await this.#refreshFingerprint(c, st.size);
    await this.#roller.append(buf.subarray(0, end), async (t) => {
      const at = { path: s.path, dev: c.id.dev, ino: c.id.ino, key: t.key, fileStart, fileEnd, position: t.position };
      // Inside the run on record (uncompressed, contiguous): a crash anywhere in it is resolved from the object's
      // length alone, so nothing needs writing before this append.
      if (inRun(this.#state.intent, at) && this.#state.files[s.path]?.fp === c.id.fp) return;
      const cur = this.#roller.current!;
      this.#state.object = { key: cur.key, seq: cur.seq, prefix: cur.prefix, openedAt: cur.openedAt };
      // Every other file's bytes so far are stored (appends are one at a time): their offsets are final.
      for (const o of this.#sources) if (o.cur !== undefined && o !== s) this.#record(o, o.cur);
      this.#record(s, c);
      const linear = this.#linear && t.length === end;
      // A run reaches past this batch, as far as the rest of the file and the object's room allow.
      const span = linear ? Math.max(end, Math.min(this.#runBytes, this.#rollBytes - t.position)) : end;
      this.#state.intent = {
        path: s.path,
        dev: c.id.dev,
        ino: c.id.ino,
        fileStart,
        fileEnd: fileStart + span,
        key: t.key,
        objectStart: t.position,
        objectEnd: t.position + (linear ? span : t.length),
        linear,
      };
      await this.#stateFile.save(this.#state);
    });
    c.offset = fileEnd;
    s.lastShipAt = now;
    s.behind = end >= this.#cap;
    this.#progress.bytes += end;
    this.#progress.batches++;
    this.#progress.key = this.#roller.current?.key;
    return true;
  }

  #record(s: Source, c: Tracked): void {
    this.#state.files[s.path] = { ...c.id, offset: c.offset };
  }

  /** A fingerprint taken while the file was short covers more of it once it grew (up to {@link FINGERPRINT_BYTES}). */
  async #refreshFingerprint(c: Tracked, size: number): Promise<void> {
    if (c.id.fpLen >= FINGERPRINT_BYTES || size <= c.id.fpLen) return;
    const id = await identify(c.fh);
    if (id.dev === c.id.dev && id.ino === c.id.ino) c.id = { dev: id.dev, ino: id.ino, fpLen: id.fpLen, fp: id.fp };
  }

  /**
   * Checks the file being shipped: renamed away from the followed path (another inode there, or none), and truncated
   * in place (copytruncate: shorter than what was shipped, or a different start), which can both happen between two
   * checks. True when `s.cur` changed.
   */
  async #rotated(s: Source, c: Tracked): Promise<boolean> {
    if (c.live) {
      const st = await stat(s.path).catch(() => undefined);
      // Renamed: keep reading the old file through our handle to its end, then move on.
      if (st === undefined || st.ino !== c.id.ino || st.dev !== c.id.dev) c.live = false;
    }
    const size = (await c.fh.stat()).size;
    if (size >= c.offset && (await sameStart(c.fh, c.id))) return false;
    // Truncated in place: the unshipped end is in the copy, if one was made next to the file.
    const copy = await findFile(s.path, c.id, c.offset, c.id.ino);
    if (copy === undefined) {
      this.#notice(
        `${s.path} was truncated and no copy of it was found: ` +
          `lines written after byte ${c.offset} and before the truncation are lost`,
      );
    }
    let after: Tracked | undefined;
    if (c.live) {
      // The file at the path starts again from 0, after the copy.
      await c.fh.close();
    } else {
      // Rotated away after the truncation: what it holds now comes after the copy.
      const id = await identify(c.fh);
      after = {
        fh: c.fh,
        id: { dev: id.dev, ino: id.ino, fpLen: id.fpLen, fp: id.fp },
        offset: 0,
        live: false,
        mtimeMs: id.mtimeMs,
        realIno: id.ino,
      };
    }
    if (copy === undefined) {
      s.cur = after;
    } else {
      s.cur = { fh: copy.fh, id: c.id, offset: c.offset, live: false, mtimeMs: copy.mtimeMs, realIno: copy.ino };
      if (after !== undefined) s.queue.unshift(after);
    }
    return true;
  }

  #watch(): void {
    for (const dir of new Set(this.#sources.map((s) => dirname(s.path)))) {
      try {
        const w = watch(dir, { persistent: false }, () => this.#wake?.());
        w.on('error', () => w.close());
        this.#watchers.push(w);
      } catch {
        // Polling alone, then (some file systems have no change events).
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }
}
