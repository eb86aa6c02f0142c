/**
 * Upload objects › Simple upload › putObjectFromFile: upload a local file by its path.
 *
 * The Content-Type comes from the file name (here `text/plain`), and retries reopen the file.
 * Run: node --import tsx examples/put-object-from-file.ts
 */
import { ossTarget, bucketFor } from './_local.js';

const oss = await ossTarget();
const bucket = bucketFor(oss);
try {
  const localTxt = await oss.localFile('local.txt', 'content of the local file\n');

  const result = await bucket.putObjectFromFile('remote.txt', localTxt);
  const head = await bucket.headObject('remote.txt');
  console.log(`remote.txt: ${result.size} bytes stored as ${head.contentType}`);
} finally {
  await bucket.close();
  await oss.close();
}
