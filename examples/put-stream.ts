/**
 * createPutStream: one PutObject whose body is the stream itself (chunked encoding, never buffered). Not retryable:
 * the bytes are gone once sent. Use it for one-shot objects up to 5 GiB when you want no part buffers at all.
 * Run: node --import tsx examples/put-stream.ts  (uses OSS_* variables if set, else a local server)
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Auth, Bucket, createPutStream } from 'oss-stream';
import { ossTarget } from './_local.js';

const oss = await ossTarget();
const bucket = new Bucket(new Auth(oss.accessKeyId, oss.accessKeySecret), oss.endpoint, oss.bucketName, {
  region: oss.region,
});
try {
  async function* rows() {
    yield 'id,name\n';
    for (let i = 1; i <= 1000; i++) yield `${i},user-${i}\n`;
  }
  const sink = createPutStream(bucket, 'reports/users.csv', { headers: { 'x-oss-meta-source': 'example' } });
  await pipeline(Readable.from(rows()), sink);
  console.log(`reports/users.csv: ${sink.result!.size} bytes, ETag ${sink.result!.etag}, CRC64 ${sink.result!.crc64}`);
} finally {
  await bucket.close();
  await oss.close();
}
