/** `createUploadStream`: pipe any readable into OSS; small streams become one PutObject, larger ones multipart. */
import type { Bucket } from '../bucket.js';
import { MultipartWritable, SINK_INTERNALS, type InternalSinkOptions } from './multipart-writable.js';
import type { SinkOptions } from './sink-options.js';

/**
 * A `Writable` that uploads everything written to it as `key`. It buffers up to `multipartThreshold` bytes
 * (default: `partSize`, 8 MiB): a stream that ends there is stored with one PutObject (an empty stream makes an
 * empty object); a longer one becomes a multipart upload with `concurrency` parts in flight. A known
 * `contentLength` decides at once. `'finish'` fires once the object is committed; `sink.result` is set before.
 *
 * Memory: at most `maxMemory` (default 256 MiB) of part buffers with the default `concurrency: 'auto'`, and
 * `(concurrency + 1) × partSize` with a fixed concurrency, whatever the stream's length.
 *
 * @example
 * ```ts
 * import { pipeline } from 'node:stream/promises';
 * import { createGzip } from 'node:zlib';
 * const sink = createUploadStream(bucket, 'logs/2026/app.log.gz', { onProgress: (n) => console.log(n) });
 * await pipeline(createReadStream('app.log'), createGzip(), sink);
 * console.log(sink.result?.mode, sink.result?.etag, sink.result?.crc64);
 * ```
 */
export function createUploadStream(bucket: Bucket, key: string, options: SinkOptions = {}): MultipartWritable {
  const internal: InternalSinkOptions = { ...options, [SINK_INTERNALS]: { putWhenSmall: true } };
  return new MultipartWritable(bucket, key, internal);
}
