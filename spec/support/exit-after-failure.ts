// A script as users write them (issue 17, item 5): `await pipeline(source, sink)` in main(), and
// `main().catch(() => process.exit(1))`. Run by spec/sinks/exit-guard.spec.ts as a child process:
//   node --import tsx spec/support/exit-after-failure.ts <endpoint> <mode> <key> [cleanupTimeoutMs]
// mode: 'generator' (an async generator source throws), 'readable' (a Readable source errors), 'part-failure'
// (the sink itself fails: the server refuses a part).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Auth, Bucket, createUploadStream } from '../../lib/index.js';
import { eventually } from './eventually.js';
import { BUCKET, CRED } from './local-oss.js';

const [endpoint, mode, key, cleanup] = process.argv.slice(2) as [string, string, string, string | undefined];
const limits = { minPartSize: 1024 };
const bucket = new Bucket(new Auth(CRED.accessKeyId, CRED.accessKeySecret), endpoint, BUCKET, {
  limits,
  retries: 0,
  cleanupTimeoutMs: cleanup === undefined ? undefined : Number(cleanup),
});
const sink = createUploadStream(bucket, key, { partSize: 4096 });

async function* rows(): AsyncGenerator<Buffer> {
  for (let i = 0; i < 8; i++) yield Buffer.alloc(4096, i);
  // The ETL step fails mid-stream, once the multipart upload exists (an upload whose Initiate is still in flight
  // has no id yet, and nothing can abort it).
  await eventually(() => sink.uploadId !== undefined);
  if (mode !== 'part-failure') throw new Error('source broke');
  for (let i = 0; i < 8; i++) yield Buffer.alloc(4096, i);
}

async function main(): Promise<void> {
  const source = mode === 'readable' ? Readable.from(rows()) : rows();
  await pipeline(source, sink);
}

main().catch((err: Error) => {
  process.stderr.write(`caught: ${err.message}\n`);
  process.exit(1);
});
