/**
 * Upload objects › Resumable upload: a large file goes up as a multipart upload whose progress is checkpointed
 * after every part, so an interrupted upload (a crash, `kill -9`, a lost network, an abort) continues where it
 * stopped when called again, and the final object is checked against the file's CRC64.
 *
 * Files up to `multipartThreshold` (default 10 MiB) go up with one PutObject. Checkpoints live in
 * `~/.oss-stream-upload` unless a `ResumableStore` says otherwise (here: under this run's scratch directory, as
 * the guide's `ResumableStore(root='/tmp')`).
 * Run: node --import tsx examples/resumable-upload.ts   (without OSS_ENDPOINT it starts a local server)
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { abandonResumable, OssAbortError, ResumableStore, resumableUpload } from 'oss-stream';
import { bucketFor, ossTarget } from './_local.js';

const oss = await ossTarget();
const bucket = bucketFor(oss);
try {
  // A small file (under the default 10 MiB threshold): one PutObject, no checkpoint.
  const small = await resumableUpload(bucket, 'small.txt', await oss.localFile('small.txt', 'a small file\n'));
  console.log(`small.txt: ${small.mode}, ${small.size} bytes`);

  // The fully custom form of the guide: own store, threshold, part size and threads.
  const localTxt = await oss.localFile('local.txt', randomBytes(1024 * 1024 + 7));
  const store = new ResumableStore({ root: oss.scratchDir });
  const options = { store, multipartThreshold: 100 * 1024, partSize: 100 * 1024, concurrency: 4 };
  const result = await resumableUpload(bucket, 'remote.txt', localTxt, options);
  console.log(`remote.txt: ${result.mode}, ${result.parts?.length} parts, ${result.size} bytes, CRC64 ${result.crc64}`);

  // Interrupted half-way (here by an AbortSignal; a crash leaves the same state behind): the checkpoint and the
  // multipart upload are kept…
  const bigFile = await oss.localFile('big.bin', randomBytes(8 * 1024 * 1024));
  const stop = new AbortController();
  try {
    await resumableUpload(bucket, 'big.bin', bigFile, {
      ...options,
      signal: stop.signal,
      onProgress: (done, total) => {
        if (done >= total! / 2) stop.abort();
      },
    });
  } catch (err) {
    if (!(err instanceof OssAbortError)) throw err;
    console.log(`big.bin: interrupted, checkpoints kept: ${(await readdir(store.directory)).length}`);
  }

  // …so calling again sends only the missing parts. Progress starts at the bytes already stored.
  let first: number | undefined;
  const resumed = await resumableUpload(bucket, 'big.bin', bigFile, {
    ...options,
    onProgress: (done) => (first ??= done),
  });
  console.log(
    `big.bin: resumed at ${first} bytes, ${resumed.resumedBytes} bytes not sent again, CRC64 ${resumed.crc64}`,
  );

  // The checkpoint is removed once the object is committed; abandonResumable drops an unfinished one instead.
  console.log(`checkpoints left: ${(await readdir(store.directory)).length}`);
  console.log(`abandoned anything: ${await abandonResumable(bucket, 'big.bin', bigFile, { store })}`);
} finally {
  await bucket.close();
  await oss.close();
}
