/**
 * Upload objects › Set the HTTP header, and › Set custom object metadata.
 *
 * Standard headers (Content-Type, Cache-Control, Content-Disposition…) and `x-oss-meta-*` metadata go in
 * `headers`. Without a Content-Type, one is guessed from the key's extension.
 * Run: node --import tsx examples/headers.ts
 */
import { ossTarget, bucketFor } from './_local.js';

const oss = await ossTarget();
const bucket = bucketFor(oss);
try {
  await bucket.putObject('a.json', '{"age": 1}', { headers: { 'Content-Type': 'application/json; charset=utf-8' } });
  await bucket.putObject('story.txt', 'a novel', { headers: { 'x-oss-meta-author': 'O. Henry' } });

  const json = await bucket.headObject('a.json');
  const story = await bucket.headObject('story.txt');
  console.log(`a.json: ${json.contentType}`);
  console.log(`story.txt: ${story.contentType}, author ${story.meta['author']}`);
} finally {
  await bucket.close();
  await oss.close();
}
