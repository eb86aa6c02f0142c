/**
 * MultipartWritable: a backup of a file as a multipart upload, 8 parts in flight at most 3 at a time. The part
 * buffers (at most (concurrency + 1) × partSize) are the only memory it holds; a failure aborts the upload.
 * Run: node --import tsx examples/multipart-writable.ts  (uses OSS_* variables if set, else a local server)
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Auth, Bucket, MultipartWritable } from 'oss-stream';
import { ossTarget } from './_local.js';

const oss = await ossTarget();
const bucket = new Bucket(new Auth(oss.accessKeyId, oss.accessKeySecret), oss.endpoint, oss.bucketName, {
  region: oss.region,
});
try {
  const data = Buffer.alloc(8 * 128 * 1024 - 1000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
  const file = await oss.localFile('db.dump', data);

  const sink = new MultipartWritable(bucket, 'backups/db.dump', { partSize: 128 * 1024, concurrency: 3 });
  await pipeline(createReadStream(file), sink);
  const r = sink.result!;
  console.log(`backups/db.dump: ${r.parts!.length} parts, ${r.size} bytes, ETag ${r.etag}, CRC64 ${r.crc64}`);
} finally {
  await bucket.close();
  await oss.close();
}
