/** `abandonResumable`: gives up on an interrupted resumable upload, so its parts stop being billed. */
import { resolve } from 'node:path';
import { contextOf, type Bucket } from '../bucket.js';
import { abortIfPresent } from '../api/abort-multipart-upload.js';
import { validateObjectKey } from '../core/validate.js';
import { OssArgumentError } from '../errors.js';
import { ResumableStore, type CheckpointStore } from '../uploads/resumable-store.js';

/** Options of {@link abandonResumable}. */
export interface AbandonResumableOptions {
  /** The store the upload was checkpointed in (default `new ResumableStore()`). */
  store?: CheckpointStore | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Aborts the multipart upload recorded for `key` and the file at `filePath`, then removes its checkpoint.
 * Resolves `true` when there was one, `false` when there was nothing to abandon. An upload already gone on the
 * server (`NoSuchUpload`) still counts as abandoned; any other failure rejects and keeps the checkpoint, so the
 * call can be repeated.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * const p = resumableUpload(bucket, 'big.iso', './big.iso', { store, signal: ac.signal });
 * ac.abort();            // the checkpoint and the upload are kept for a later resume…
 * await p.catch(() => {});
 * await abandonResumable(bucket, 'big.iso', './big.iso', { store }); // …unless you drop them
 * ```
 */
export async function abandonResumable(
  bucket: Bucket,
  key: string,
  filePath: string,
  opts: AbandonResumableOptions = {},
): Promise<boolean> {
  const ctx = contextOf(bucket);
  validateObjectKey(key, ctx.options.limits);
  if (typeof filePath !== 'string' || filePath === '')
    throw new OssArgumentError('filePath must be a non-empty string', 'filePath');
  const store = opts.store ?? new ResumableStore();
  const path = resolve(filePath);
  const record = await store.load(ctx.bucket, key, path);
  if (record === undefined) return false;
  await abortIfPresent(ctx, key, record.uploadId, { signal: opts.signal });
  await store.delete(ctx.bucket, key, path);
  return true;
}
