/**
 * Child process of the crash specs: runs one resumableUpload and reports on stdout, so the parent can SIGKILL it
 * at any moment. Lines: `start`, then `p <bytes>` per progress report, then `done <json result>`.
 *
 * Usage: node --import tsx spec/resumable/crash-runner.ts '<json: endpoint, key, path, storeRoot, partSize, parallel>'
 */
import { resumableUpload, ResumableStore } from 'oss-stream';
import { clientFor } from '../support/local-oss.js';

interface RunnerArgs {
  endpoint: string;
  key: string;
  path: string;
  storeRoot: string;
  partSize: number;
  parallel: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as RunnerArgs;
const limits = { minPartSize: 1024 };
const bucket = clientFor({ endpoint: args.endpoint }, { limits });
const store = new ResumableStore({ root: args.storeRoot, dir: 'checkpoints' });

process.stdout.write('start\n');
const r = await resumableUpload(bucket, args.key, args.path, {
  store,
  multipartThreshold: args.partSize,
  partSize: args.partSize,
  parallel: args.parallel,
  onProgress: (n) => process.stdout.write(`p ${n}\n`),
});
process.stdout.write(
  `done ${JSON.stringify({ mode: r.mode, size: r.size, crc64: r.crc64, resumedBytes: r.resumedBytes, parts: r.parts?.length })}\n`,
);
await bucket.close();
