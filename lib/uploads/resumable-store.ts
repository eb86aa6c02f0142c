/**
 * Where checkpoint records live: one small JSON file per (bucket, key, absolute file path) in one directory,
 * replaced atomically so that a crash at any instant leaves either the previous record or the new one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { OssArgumentError, OssError } from '../errors.js';
import { parseCheckpoint, serializeCheckpoint, type CheckpointRecord } from './checkpoint-record.js';

/**
 * What a resumable upload needs from a checkpoint store. {@link ResumableStore} keeps records on disk; implement
 * this to keep them elsewhere (a database, a shared volume). `load` must return `undefined` for a missing or
 * unreadable record, and `save` must replace a record atomically (a reader never sees half of one).
 */
export interface CheckpointStore {
  /** The record of `bucket`/`key` from the file at `path` (absolute), or `undefined`. */
  load(bucket: string, key: string, path: string): Promise<CheckpointRecord | undefined>;
  /** Writes (replaces) the record of `record.bucket`/`record.key`/`record.path`. */
  save(record: CheckpointRecord): Promise<void>;
  /** Removes the record, if any. */
  delete(bucket: string, key: string, path: string): Promise<void>;
  /**
   * Optional: makes this process the only writer of one record until the returned function is called, or throws
   * (`CheckpointLocked` in {@link ResumableStore}). `resumableUpload` holds it for the whole upload.
   */
  lock?(bucket: string, key: string, path: string): Promise<() => Promise<void>>;
}

/** Options of {@link ResumableStore}. */
export interface ResumableStoreOptions {
  /** Parent directory (default: the user's home directory). */
  root?: string | undefined;
  /** Directory under `root` holding the records (default `.oss-stream-upload`); an absolute path is used as is. */
  dir?: string | undefined;
}

/** True when a process with this pid runs on this host (EPERM: it runs, as another user). */
function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return codeOf(err) === 'EPERM';
  }
}

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 32);

function codeOf(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

/**
 * Checkpoint records on disk, one JSON file each, named from hashes of `oss://bucket/key` and of the absolute file
 * path (like oss2's `make_store_key`, so any key or path gives a short, safe file name).
 *
 * - Writes go to a temporary file that is fsynced, then renamed over the record (and the directory fsynced), so a
 *   crash, a `kill -9` or a power cut leaves a whole record, old or new, never a torn one.
 * - A record that cannot be read back (corrupt or truncated JSON, an unknown format version, fields that do not
 *   add up, or a record of another bucket/key/path) is deleted and reported as absent.
 * - Files are created `0600` in a `0700` directory: records hold paths and upload ids, never credentials.
 * - One process at a time per record: two concurrent uploads of the same file to the same key would overwrite
 *   each other's record. {@link ResumableStore.lock} makes that an error instead (`resumableUpload` takes it).
 *
 * @example
 * ```ts
 * const store = new ResumableStore({ root: '/var/lib/myapp', dir: 'uploads' });
 * await resumableUpload(bucket, 'backups/db.tar', '/data/db.tar', { store });
 * ```
 */
export class ResumableStore implements CheckpointStore {
  /** Absolute directory of the records. */
  readonly directory: string;

  constructor(opts: ResumableStoreOptions = {}) {
    if (opts === null || typeof opts !== 'object')
      throw new OssArgumentError('ResumableStore options must be an object', 'options');
    const root = opts.root ?? homedir();
    const dir = opts.dir ?? '.oss-stream-upload';
    if (typeof root !== 'string' || root === '') throw new OssArgumentError('root must be a non-empty path', 'root');
    if (typeof dir !== 'string' || dir === '') throw new OssArgumentError('dir must be a non-empty path', 'dir');
    this.directory = resolve(root, dir);
  }

  /** The record file for `bucket`/`key` and the file at `path` (made absolute). */
  fileFor(bucket: string, key: string, path: string): string {
    let abs = resolve(path);
    // Windows paths are case-insensitive: C:\Data and c:\data are one file and must be one record.
    if (process.platform === 'win32') abs = abs.toLowerCase();
    return join(this.directory, `${sha(`oss://${bucket}/${key}`)}--${sha(abs)}.json`);
  }

  /** The record, or `undefined` when there is none or it was unreadable (then it is deleted). */
  async load(bucket: string, key: string, path: string): Promise<CheckpointRecord | undefined> {
    const file = this.fileFor(bucket, key, path);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return undefined;
      throw err;
    }
    const record = parseCheckpoint(text);
    if (record === undefined || record.bucket !== bucket || record.key !== key || record.path !== resolve(path)) {
      await this.#remove(file);
      return undefined;
    }
    return record;
  }

  /** Replaces the record atomically (temp file, fsync, rename, directory fsync). */
  async save(record: CheckpointRecord): Promise<void> {
    // Serialized before the first await: the caller may keep mutating its record while we write.
    const text = serializeCheckpoint(record);
    const file = this.fileFor(record.bucket, record.key, record.path);
    await this.#ensureDir();
    const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } catch (err) {
      await fh.close();
      await this.#remove(tmp);
      throw err;
    }
    await fh.close();
    try {
      await rename(tmp, file);
    } catch (err) {
      await this.#remove(tmp);
      throw err;
    }
    await this.#syncDir();
  }

  /** Removes the record; a missing one is fine. */
  async delete(bucket: string, key: string, path: string): Promise<void> {
    await this.#remove(this.fileFor(bucket, key, path));
  }

  /**
   * Takes the lock of one record (`<record>.lock`, created exclusively, holding this process's pid), so a second
   * upload of the same file to the same key fails clearly instead of racing on the record. A lock whose process is
   * gone (killed, crashed) is stale and taken over. Resolves with the function that releases it.
   * @throws OssError `CheckpointLocked` while another live process holds it.
   */
  async lock(bucket: string, key: string, path: string): Promise<() => Promise<void>> {
    await this.#ensureDir();
    const file = `${this.fileFor(bucket, key, path)}.lock`;
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await open(file, 'wx', 0o600);
        try {
          await fh.writeFile(`${process.pid}\n`);
        } finally {
          await fh.close();
        }
        let released = false;
        return async () => {
          if (released) return;
          released = true;
          await this.#remove(file);
        };
      } catch (err) {
        if (codeOf(err) !== 'EEXIST') throw err;
      }
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim()) || 0;
      // Our own pid counts as alive: a second upload of the same record in this process is a race too.
      if ((holder > 0 && alive(holder)) || attempt >= 3) {
        throw new OssError(
          `another upload of ${path} to oss://${bucket}/${key} is running${holder > 0 ? ` (pid ${holder})` : ''}: ` +
            `wait for it to finish (its lock is ${file}; remove it only if no such upload runs)`,
          { code: 'CheckpointLocked' },
        );
      }
      // No pid: a lock being written this instant, or by a writer killed mid-write (stale once it stays empty).
      if (holder > 0 || attempt >= 2) await this.#takeOver(file, holder);
      else await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Removes a stale lock whose holder was `seen`. Moved aside first, then checked: if another process replaced it
   * with a live lock of its own since we read it, that lock is put back instead of being deleted.
   */
  async #takeOver(file: string, seen: number): Promise<void> {
    const aside = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.stale`;
    try {
      await rename(file, aside);
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return;
      throw err;
    }
    const moved = Number((await readFile(aside, 'utf8').catch(() => '')).trim()) || 0;
    if (moved !== seen && moved > 0 && alive(moved)) await link(aside, file).catch(() => undefined);
    await this.#remove(aside);
  }

  /**
   * Removes temporary files left by writers that were killed between write and rename (`<record>.<pid>-<rand>.tmp`),
   * except those of processes still running (this one included), which may be about to rename theirs. Returns how
   * many were removed.
   */
  async sweep(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return 0;
      throw err;
    }
    const stale = names.filter((n) => {
      const writer = /\.(\d+)-[0-9a-f]+\.tmp$/.exec(n);
      return n.endsWith('.tmp') && !(writer !== null && alive(Number(writer[1])));
    });
    for (const n of stale) await this.#remove(join(this.directory, n));
    return stale.length;
  }

  async #ensureDir(): Promise<void> {
    // Every time, not once: the directory may have been removed since (a cleanup job, a test); it is one cheap call.
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
  }

  /** Makes the rename durable (POSIX); directories cannot be opened for fsync on Windows. */
  async #syncDir(): Promise<void> {
    if (process.platform === 'win32') return;
    const fh = await open(this.directory, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async #remove(file: string): Promise<void> {
    try {
      await unlink(file);
    } catch (err) {
      if (codeOf(err) !== 'ENOENT') throw err;
    }
  }
}
