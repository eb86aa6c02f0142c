/**
 * Small files that must survive a crash whole: written to a temp file, fsynced, renamed over the target, and the
 * target's directory fsynced. A reader (or the next start) sees the old file or the new one, never a torn or empty
 * one, and once the promise resolved the new file is on disk even if the power goes next.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Flushes a file's bytes, or a directory's entries (which makes a rename or create in it durable), to disk.
 * A no-op for directories on Windows, which cannot open them for fsync.
 */
export async function syncPath(path: string, isDirectory = false): Promise<void> {
  if (isDirectory && process.platform === 'win32') return;
  // Windows flushes a file only through a handle that may write to it.
  const fh = await open(path, isDirectory ? 'r' : 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `path` with `text` atomically and durably. The temp file goes to `tmpDir`, which must be on the same
 * file system as `path` (rename) and is expected to be wiped at start, so a crash before the rename leaves nothing
 * that could be mistaken for a record.
 */
export async function writeFileDurably(tmpDir: string, path: string, text: string): Promise<void> {
  const temp = join(tmpDir, `${randomBytes(16).toString('hex')}.json`);
  const fh = await open(temp, 'w', 0o600);
  try {
    await fh.writeFile(text, 'utf8');
    // Before the rename: otherwise a power cut can leave the renamed name pointing at an empty file.
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncPath(dirname(path), true);
}
