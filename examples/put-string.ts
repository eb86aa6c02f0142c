/**
 * Upload objects › Simple upload › String upload: a string, bytes, and unicode text.
 *
 * A string is sent as its UTF-8 bytes; a Buffer or Uint8Array is sent as it is.
 * Run: node --import tsx examples/put-string.ts  (uses OSS_* variables if set, else a local server)
 */
import { Auth, Bucket } from 'oss-stream';
import { ossTarget } from './_local.js';

const oss = await ossTarget();
const auth = new Auth(oss.accessKeyId, oss.accessKeySecret);
const bucket = new Bucket(auth, oss.endpoint, oss.bucketName, { region: oss.region });
try {
  await bucket.putObject('remote.txt', 'content of object');

  // bytes are uploaded as they are
  await bucket.putObject('remote.txt', Buffer.from('content of object'));
  await bucket.putObject('remote.txt', new TextEncoder().encode('content of object'));

  // JavaScript strings are unicode: they are uploaded as UTF-8 (16 characters, 28 bytes here)
  const r = await bucket.putObject('unicode.txt', '对象的内容: content ✓');
  console.log(`remote.txt and unicode.txt uploaded; unicode.txt is ${r.size} bytes, CRC64 ${r.crc64}`);
} finally {
  await bucket.close();
  await oss.close();
}
