/**
 * The shipper's small state file: for each followed path, the file being shipped (device, inode, fingerprint) and how
 * far it was shipped; the open object; and the intent: which file bytes go where in the object. It is replaced
 * atomically (temp file, fsync, rename, directory fsync) before any byte the intent does not cover is sent, so after a
 * `kill -9` the object's real length says how much of it landed: exactly once, whatever the instant of the crash.
 *
 * Uncompressed, file bytes land in the object one for one, so one intent covers a whole run of appends (one file's
 * bytes, contiguous, into one object, up to a bound): any length inside it maps to a file offset, and the state is
 * written once per run instead of once per batch. A gzip batch's length says nothing of the file bytes it holds: its
 * intent covers that one append.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { OssContext } from '../api/context.js';
import { headObject } from '../api/head-object.js';
import { OssError, OssServiceError } from '../errors.js';
import type { FileIdentity } from './file-identity.js';

/** A followed path's file and how far it is shipped. */
interface ShippedFile extends FileIdentity {
  /** Bytes of the file stored (before any append in flight). */
  offset: number;
}

/** The appends that were about to be (or were) sent when the state was saved. */
interface AppendIntent {
  path: string;
  dev: number;
  ino: number;
  fileStart: number;
  fileEnd: number;
  key: string;
  /** The object's length before the first append, and after the last one if all landed. */
  objectStart: number;
  objectEnd: number;
  /**
   * A run: file bytes `fileStart + n` go to object byte `objectStart + n`, appended in batches that may stop anywhere
   * in between, so any length from `objectStart` to `objectEnd` is a valid outcome. Otherwise (gzip) one append:
   * the length is `objectStart` or `objectEnd`.
   */
  linear?: boolean | undefined;
}

/** True when appending file bytes `[fileStart, fileEnd)` at object `position` of `key` stays inside run `i`. */
export function inRun(
  i: AppendIntent | null,
  at: { path: string; dev: number; ino: number; key: string; fileStart: number; fileEnd: number; position: number },
): boolean {
  return (
    i !== null &&
    i.linear === true &&
    i.path === at.path &&
    i.dev === at.dev &&
    i.ino === at.ino &&
    i.key === at.key &&
    at.fileStart - i.fileStart === at.position - i.objectStart &&
    at.fileStart >= i.fileStart &&
    at.fileEnd <= i.fileEnd
  );
}

/** The open object (continued after a restart). */
interface ShipObject {
  key: string;
  seq: number;
  prefix: string;
  openedAt: number;
}

/** What is on disk. */
export interface ShipState {
  version: 1;
  bucket: string;
  template: string;
  object: ShipObject | null;
  files: Record<string, ShippedFile>;
  intent: AppendIntent | null;
}

/** The state file of one (bucket, template, set of paths), in `dir`. */
export class ShipStateFile {
  readonly file: string;
  readonly #dir: string;

  constructor(dir: string, bucket: string, template: string, paths: readonly string[]) {
    this.#dir = resolve(dir);
    const id = createHash('sha256')
      .update(JSON.stringify([bucket, template, [...paths].sort()]))
      .digest('hex')
      .slice(0, 32);
    this.file = join(this.#dir, `ship-${id}.json`);
  }

  /** A fresh state. */
  static empty(bucket: string, template: string): ShipState {
    return { version: 1, bucket, template, object: null, files: {}, intent: null };
  }

  /** The saved state, or `undefined` when there is none (a state that does not parse is an error: never guess). */
  async load(): Promise<ShipState | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
    let s: ShipState | undefined;
    try {
      s = JSON.parse(text) as ShipState;
    } catch {
      s = undefined;
    }
    // Never guess past a state that does not parse: shipping from a wrong offset would duplicate or lose lines.
    if (s?.version !== 1 || typeof s.files !== 'object' || s.files === null) {
      throw new OssError(`${this.file} is not a ship state file this version understands; move it away to start over`, {
        code: 'InvalidShipState',
      });
    }
    return s;
  }

  /** Replaces the state atomically and durably. */
  async save(state: ShipState): Promise<void> {
    const text = JSON.stringify(state);
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    if (process.platform !== 'win32') {
      const d = await open(this.#dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    }
  }

  /** Removes temp files of earlier runs killed between write and rename. */
  async sweep(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return;
    }
    const prefix = `${this.file.slice(this.#dir.length + 1)}.`;
    for (const n of names)
      if (n.startsWith(prefix) && n.endsWith('.tmp')) await unlink(join(this.#dir, n)).catch(() => undefined);
  }
}

/**
 * Resolves the appends that may have been in flight when `state` was saved, from the object's real length: for one
 * append, landed (the length is the intent's end) or not (its start); for a run, every length in between maps to the
 * file offset it reached. The file's offset follows. A length outside the intent means another writer changed the
 * object: the open object is dropped (the next append opens a new `{seq}`) and `notice` says so; the file continues
 * from the intent's end when the object is longer (a single append: it landed) or from its start (a run: which of its
 * bytes landed is unknown, so they are shipped again rather than lost). Mutates `state`; the intent is cleared.
 */
export async function resolveIntent(ctx: OssContext, state: ShipState, notice: (line: string) => void): Promise<void> {
  const i = state.intent;
  if (i === null) return;
  let length = 0;
  try {
    const h = await headObject(ctx, i.key);
    length = h.nextAppendPosition ?? h.size;
  } catch (err) {
    if (!(err instanceof OssServiceError && err.status === 404)) throw err;
  }
  let offset: number;
  if (length >= i.objectStart && length <= i.objectEnd && (i.linear === true || length === i.objectStart)) {
    offset = i.fileStart + (i.linear === true ? length - i.objectStart : 0);
  } else if (length === i.objectEnd) {
    offset = i.fileEnd;
  } else {
    offset = length > i.objectEnd && i.linear !== true ? i.fileEnd : i.fileStart;
    notice(
      `${i.key} is ${length} bytes long, expected ${i.linear === true ? 'from ' : ''}${i.objectStart} ` +
        `${i.linear === true ? 'to' : 'or'} ${i.objectEnd}: another writer changed it; continuing in a new object`,
    );
    state.object = null;
  }
  const f = state.files[i.path];
  if (f !== undefined && f.dev === i.dev && f.ino === i.ino) f.offset = offset;
  state.intent = null;
}
