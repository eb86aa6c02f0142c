/**
 * createUploadStream: pipe any readable into OSS. Here a generated log is gzipped on the way with stream-chain
 * (byte mode: chain() is object-mode by default, so say so) and uploaded; small streams become one PutObject,
 * larger ones a multipart upload with `concurrency` parts in flight. stream-chain is not a dependency of
 * oss-stream: `npm install stream-chain` to run this outside the repository.
 * Run: node --import tsx examples/upload-stream.ts  (uses OSS_* variables if set, else a local server)
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import chain from 'stream-chain';
import { Auth, Bucket, createUploadStream } from 'oss-stream';
import { ossTarget } from './_local.js';

const oss = await ossTarget();
const bucket = new Bucket(new Auth(oss.accessKeyId, oss.accessKeySecret), oss.endpoint, oss.bucketName, {
  region: oss.region,
});
try {
  // 200,000 log lines (~9 MiB before gzip), generated lazily: memory stays flat whatever the count
  function* lines() {
    for (let i = 0; i < 200_000; i++) yield `2026-11-26T00:00:00Z INFO request ${i} served in ${i % 97} ms\n`;
  }
  const sink = createUploadStream(bucket, 'logs/2026/app.log.gz', {
    partSize: 256 * 1024,
    concurrency: 4,
    headers: { 'Content-Encoding': 'gzip', 'Content-Type': 'text/plain' },
  });
  await pipeline(
    Readable.from(lines()),
    chain([createGzip()], { writableObjectMode: false, readableObjectMode: false }),
    sink,
  );
  const r = sink.result!;
  console.log(`logs/2026/app.log.gz: ${r.mode}, ${r.parts?.length ?? 1} part(s), ${r.size} bytes, CRC64 ${r.crc64}`);

  // a tiny stream is one PutObject, never a 1-part multipart upload
  const small = createUploadStream(bucket, 'logs/2026/small.log');
  await pipeline(Readable.from(['one line\n']), small);
  console.log(`logs/2026/small.log: ${small.result!.mode}, ${small.result!.size} bytes`);
} finally {
  await bucket.close();
  await oss.close();
}
