/**
 * Upload objects › Progress bar: `onProgress(consumed, total)` of any upload.
 *
 * Counts are bytes handed to the socket, never going backwards (a retry does not count bytes twice); the total is
 * `null` when the length is unknown (a stream without contentLength), and 100% is only reported once OSS answered.
 * Run: node --import tsx examples/progress-bar.ts
 */
import { Auth, Bucket } from 'oss-stream';
import { ossTarget } from './_local.js';

function percentage(consumedBytes: number, totalBytes: number | null): void {
  if (totalBytes) {
    const rate = Math.floor((100 * consumedBytes) / totalBytes);
    process.stdout.write(`\r${rate}% `);
  }
}

const oss = await ossTarget();
const bucket = new Bucket(new Auth(oss.accessKeyId, oss.accessKeySecret), oss.endpoint, oss.bucketName, {
  region: oss.region,
});
try {
  await bucket.putObject('story.txt', 'a'.repeat(1024 * 1024), { onProgress: percentage });
  process.stdout.write('\n');
} finally {
  await bucket.close();
  await oss.close();
}
