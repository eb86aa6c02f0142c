/**
 * The uploaders compared end to end, behind one shape: a contender uploads the whole input as one object per
 * {@link Contender.upload} call. Clients are built once per contender and reused across runs (warm connections
 * for everyone, as a long-lived program would have).
 *
 * - ceiling: raw undici, no signing, no CRC, no copy: InitiateMultipartUpload, the parts PUT straight from the
 *   input (views of the buffer, or file ranges) with the same part size and concurrency, then Complete. Needs a
 *   server started with `--anonymous`.
 * - ours: `createUploadStream` fed by a Readable (64 KiB chunks, unknown length).
 * - ours resumable: `resumableUpload` of the file (known length, parts read from the file, checkpointed).
 * - ali-oss `multipartUpload` of the buffer or file (known length), same part size and parallelism.
 * - ali-oss `putStream` of the same Readable (one chunked PutObject).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import OSS from 'ali-oss';
import { Agent, request } from 'undici';
import {
  Auth,
  Bucket,
  createUploadStream,
  resumableUpload,
  ResumableStore,
  type ResumableUploadOptions,
  type SinkOptions,
} from './lib.js';
import { viewSource } from './data.js';
import { BENCH } from './child-server.js';

/** What is uploaded: a buffer in memory, or a file (read through the page cache). */
export type BenchInput = { kind: 'memory'; data: Buffer } | { kind: 'file'; path: string; size: number };

/** One uploader, ready to upload the input again and again. */
export interface Contender {
  readonly name: string;
  /** Uploads the whole input as `key`; rejects unless the server stored exactly `inputSize` bytes. */
  upload(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Bytes in the input. */
export function inputSize(input: BenchInput): number {
  return input.kind === 'memory' ? input.data.length : input.size;
}

/** The input as a fresh stream of unknown length (64 KiB chunks, as `fs.createReadStream` hands them out). */
export function inputStream(input: BenchInput): Readable {
  return input.kind === 'memory' ? viewSource(input.data) : createReadStream(input.path);
}

/** The raw-undici ceiling: what the machine allows with the same parts and concurrency, minus all client work. */
export function ceiling(endpoint: string, input: BenchInput, partSize: number, concurrency: number): Contender {
  const agent = new Agent({ connections: concurrency, pipelining: 1 });
  const total = inputSize(input);
  const base = `${endpoint}/${BENCH.bucket}/`;
  const body = (i: number): Buffer | Readable => {
    const start = i * partSize;
    const end = Math.min(total, start + partSize);
    return input.kind === 'memory'
      ? input.data.subarray(start, end)
      : createReadStream(input.path, { start, end: end - 1 });
  };
  return {
    name: 'ceiling (raw undici)',
    async upload(key) {
      const init = await request(`${base}${key}?uploads`, { method: 'POST', dispatcher: agent });
      const id = /<UploadId>([^<]+)<\/UploadId>/.exec(await init.body.text())?.[1];
      if (init.statusCode !== 200 || id === undefined) throw new Error(`ceiling: initiate answered ${init.statusCode}`);
      const count = Math.max(1, Math.ceil(total / partSize));
      const etags: string[] = new Array<string>(count);
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < count; i = next++) {
          const size = Math.min(total, (i + 1) * partSize) - i * partSize;
          const res = await request(`${base}${key}?partNumber=${i + 1}&uploadId=${id}`, {
            method: 'PUT',
            body: body(i),
            headers: { 'content-length': String(size) },
            dispatcher: agent,
          });
          await res.body.dump();
          if (res.statusCode !== 200) throw new Error(`ceiling: part ${i + 1} answered ${res.statusCode}`);
          etags[i] = String(res.headers['etag']);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
      const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
      const done = await request(`${base}${key}?uploadId=${id}`, { method: 'POST', body: xml, dispatcher: agent });
      const text = await done.body.text();
      if (done.statusCode !== 200) throw new Error(`ceiling: complete answered ${done.statusCode}: ${text}`);
    },
    close: () => agent.close(),
  };
}

/** oss-stream's `createUploadStream` (default options unless given), piped from the input stream. */
export function ours(
  endpoint: string,
  input: BenchInput,
  options: SinkOptions = {},
  name = 'oss-stream createUploadStream',
): Contender {
  const bucket = new Bucket(new Auth(BENCH.accessKeyId, BENCH.accessKeySecret), endpoint, BENCH.bucket);
  const total = inputSize(input);
  return {
    name,
    async upload(key) {
      const sink = createUploadStream(bucket, key, options);
      await pipeline(inputStream(input), sink);
      if (sink.result?.size !== total) throw new Error(`ours: stored ${sink.result?.size} of ${total} bytes`);
    },
    close: () => bucket.close(),
  };
}

/**
 * oss-stream's `resumableUpload` of a file input (what `oss-stream cp` runs): parts read from the file, a checkpoint
 * saved (fsynced) at most once a second in a temporary directory, every part and the whole object CRC-64 verified.
 */
export function oursResumable(
  endpoint: string,
  input: BenchInput,
  options: Omit<ResumableUploadOptions, 'store'> = {},
  name = 'oss-stream resumableUpload',
): Contender {
  if (input.kind !== 'file') throw new Error('resumableUpload uploads files: give it a file input');
  const bucket = new Bucket(new Auth(BENCH.accessKeyId, BENCH.accessKeySecret), endpoint, BENCH.bucket);
  let dir: string | undefined;
  return {
    name,
    async upload(key) {
      dir ??= await mkdtemp(join(tmpdir(), 'oss-stream-bench-cp-'));
      const r = await resumableUpload(bucket, key, input.path, {
        ...options,
        store: new ResumableStore({ root: dir }),
      });
      if (r.size !== input.size) throw new Error(`ours resumable: stored ${r.size} of ${input.size} bytes`);
    },
    async close() {
      await bucket.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An ali-oss client on the local server: an IP endpoint makes it send a virtual-host Host header, which we accept. */
export function aliClient(endpoint: string, extra: Partial<OSS.Options> = {}): OSS {
  return new OSS({
    accessKeyId: BENCH.accessKeyId,
    accessKeySecret: BENCH.accessKeySecret,
    bucket: BENCH.bucket,
    endpoint,
    region: 'oss-cn-hangzhou',
    secure: false,
    timeout: 600_000,
    ...extra,
  });
}

/** ali-oss `multipartUpload` of the buffer or the file path: known length, parts read by ali-oss itself. */
export function aliMultipart(endpoint: string, input: BenchInput, partSize: number, parallel: number): Contender {
  const client = aliClient(endpoint);
  return {
    name: 'ali-oss multipartUpload',
    async upload(key) {
      const r = await client.multipartUpload(key, input.kind === 'memory' ? input.data : input.path, {
        partSize,
        parallel,
      });
      if (r.res.status !== 200) throw new Error(`ali-oss multipartUpload answered ${r.res.status}`);
    },
    close: async () => undefined,
  };
}

/** ali-oss `putStream` of the input stream: one chunked PutObject (no parts, no parallelism). */
export function aliPutStream(endpoint: string, input: BenchInput): Contender {
  const client = aliClient(endpoint);
  return {
    name: 'ali-oss putStream',
    async upload(key) {
      const r = await client.putStream(key, inputStream(input));
      if (r.res.status !== 200) throw new Error(`ali-oss putStream answered ${r.res.status}`);
    },
    close: async () => undefined,
  };
}
