/**
 * createAppendStream: log shipping. Writes are batched (by size and time) into AppendObject requests; a second
 * stream on the same key continues at the object's length. The object's CRC64 is chained and checked on every append.
 * Run: node --import tsx examples/append-stream.ts  (uses OSS_* variables if set, else a local server)
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Auth, Bucket, createAppendStream } from 'oss-stream';
import { ossTarget } from './_local.js';

const oss = await ossTarget();
const bucket = new Bucket(new Auth(oss.accessKeyId, oss.accessKeySecret), oss.endpoint, oss.bucketName, {
  region: oss.region,
});
try {
  const day1 = Array.from({ length: 5000 }, (_, i) => `day 1 line ${i}\n`);
  const first = createAppendStream(bucket, 'logs/app.log', { flushBytes: 16 * 1024, flushIntervalMs: 200 });
  await pipeline(Readable.from(day1), first);

  // later (another process, another day): position 'auto' continues where the object ends
  const second = createAppendStream(bucket, 'logs/app.log', { flushBytes: 16 * 1024 });
  await pipeline(Readable.from(['day 2 starts\n']), second);
  const r = second.result!;
  console.log(
    `logs/app.log: ${r.nextPosition} bytes after ${first.result!.appends + r.appends} appends, CRC64 ${r.crc64}`,
  );
} finally {
  await bucket.close();
  await oss.close();
}
