/**
 * Upload objects › Multipart upload: initiate, upload the parts, complete, then check what was stored.
 *
 * `determinePartSize` picks oss2's part size for the file (100 KiB preferred here); each part is a `FileSlice`,
 * a range of the file that is re-read if a retry is needed. Complete sorts the parts and checks the whole-object
 * CRC64 against the parts' CRCs.
 * Run: node --import tsx examples/multipart.ts
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { FileSlice, determinePartSize, type UploadPartResult } from 'oss-stream';
import { ossTarget, bucketFor } from './_local.js';

const oss = await ossTarget();
const bucket = bucketFor(oss);
try {
  const key = 'remote.txt';
  const filename = await oss.localFile('local.txt', randomBytes(1024 * 1024 + 12345));

  const totalSize = (await stat(filename)).size;
  const partSize = determinePartSize(totalSize, 100 * 1024);

  // Part initialization
  const { uploadId } = await bucket.initMultipartUpload(key);
  const parts: UploadPartResult[] = [];

  // Upload parts one by one
  for (let partNumber = 1, offset = 0; offset < totalSize; partNumber++) {
    const numToUpload = Math.min(partSize, totalSize - offset);
    parts.push(await bucket.uploadPart(key, uploadId, partNumber, new FileSlice(filename, offset, numToUpload)));
    offset += numToUpload;
  }

  // Complete multipart upload
  const done = await bucket.completeMultipartUpload(key, uploadId, parts);

  // Verify the upload: a full read also checks the CRC64 while it streams
  const chunks: Buffer[] = [];
  for await (const chunk of (await bucket.getObject(key)).body) chunks.push(chunk as Buffer);
  if (!Buffer.concat(chunks).equals(await readFile(filename))) throw new Error('the object differs from local.txt');
  console.log(
    `${key}: ${parts.length} parts of ${partSize} bytes, ${totalSize} bytes, ETag ${done.etag}, read back equal`,
  );
} finally {
  await bucket.close();
  await oss.close();
}
