/**
 * Upload objects › Simple upload › Upload a local file: hand a file stream to putObject.
 *
 * An untouched `fs.ReadStream` is sent with Content-Length (the file's size) and, being a file range, it is
 * re-read if a retry is needed. Any other stream is sent once, with chunked encoding.
 * Run: node --import tsx examples/put-local-file.ts
 */
import { createReadStream } from 'node:fs';
import { ossTarget, bucketFor } from './_local.js';

const oss = await ossTarget();
const bucket = bucketFor(oss);
try {
  const localTxt = await oss.localFile('local.txt', 'a line of the local file\n'.repeat(4096));

  const result = await bucket.putObject('remote.txt', createReadStream(localTxt));
  console.log(`remote.txt: ${result.size} bytes, ETag ${result.etag}, CRC64 ${result.crc64}`);
} finally {
  await bucket.close();
  await oss.close();
}
