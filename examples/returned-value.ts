/**
 * Upload objects › Returned value: every result carries the HTTP status, the request id and the response headers;
 * putObject adds the ETag (and the CRC64 the client verified).
 * Run: node --import tsx examples/returned-value.ts
 */
import { ossTarget, bucketFor } from './_local.js';

const oss = await ossTarget();
const bucket = bucketFor(oss);
try {
  const result = await bucket.putObject('remote.txt', 'content of object');
  console.log(`http status: ${result.status}`);
  // log the request id: it identifies the request for Alibaba Cloud support
  console.log(`request_id: ${result.requestId}`);
  console.log(`ETag: ${result.etag}`);
  console.log(`date: ${result.headers['date']}`);
  console.log(`crc64: ${result.crc64}`);
} finally {
  await bucket.close();
  await oss.close();
}
