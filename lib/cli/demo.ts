/**
 * `oss-stream demo` (`npm start`): the main job end to end. Starts the embedded local OSS server, streams a
 * generated log through `createUploadStream` with a progress bar, reads the object back verifying CRC64, and prints
 * a summary. With OSS_ENDPOINT/OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET/OSS_BUCKET set it targets that service instead.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { Auth, authFromEnv } from '../core/credentials.js';
import { Crc64 } from '../core/crc64.js';
import { Bucket } from '../bucket.js';
import { createUploadStream } from '../sinks/upload-stream.js';

const MiB = 1024 * 1024;

/** Generates `total` bytes of plausible log lines, in ~64 KiB chunks. */
function logSource(total: number): Readable {
  const levels = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'];
  const paths = ['/api/orders', '/api/users/42', '/healthz', '/api/cart', '/static/app.js'];
  let produced = 0;
  let seq = 0;
  const start = Date.UTC(2026, 10, 26);
  return new Readable({
    highWaterMark: 256 * 1024,
    read() {
      if (produced >= total) {
        this.push(null);
        return;
      }
      let s = '';
      while (s.length < 64 * 1024) {
        const t = new Date(start + seq * 7).toISOString();
        s += `${t} ${levels[seq % levels.length]} req=${(seq * 2654435761) >>> 0} GET ${paths[seq % paths.length]} status=${seq % 17 === 0 ? 500 : 200} ms=${seq % 250}\n`;
        seq++;
      }
      let chunk = Buffer.from(s, 'latin1');
      if (produced + chunk.length > total) chunk = chunk.subarray(0, total - produced);
      produced += chunk.length;
      this.push(chunk);
    },
  });
}

/** Hashes what flows past (the CRC64 we expect the object to have). */
class Hasher extends Transform {
  readonly crc = new Crc64();
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.crc.update(chunk);
    cb(null, chunk);
  }
}

function fmt(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/** Runs the demo; resolves to an exit code. */
export async function demoMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: '256' },
      'part-size': { type: 'string', default: '8' },
      parallel: { type: 'string', default: '4' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const size = Number(values.size) * MiB;
  const partSize = Number(values['part-size']) * MiB;
  const concurrency = Number(values.parallel);
  if (!(size >= 0) || !(partSize > 0) || !(concurrency > 0)) {
    process.stderr.write('usage: oss-stream demo [--size MiB] [--part-size MiB] [--parallel N] [--quiet]\n');
    return 2;
  }

  const remote = process.env['OSS_ENDPOINT'];
  let stopServer: (() => Promise<void>) | undefined;
  let bucket: Bucket;
  if (remote !== undefined && process.env['OSS_BUCKET'] !== undefined) {
    bucket = new Bucket(authFromEnv(), remote, process.env['OSS_BUCKET'], { region: process.env['OSS_REGION'] });
    process.stderr.write(`Uploading to ${remote}, bucket ${bucket.name}\n`);
  } else {
    const { OssServer } = await import('../server/index.js');
    const server = await OssServer.start({ buckets: ['demo'], credentials: [{ accessKeyId: 'demo-ak', accessKeySecret: 'demo-secret' }] });
    stopServer = () => server.close();
    bucket = new Bucket(new Auth('demo-ak', 'demo-secret'), server.endpoint, 'demo');
    process.stderr.write(`Started the embedded local OSS server at ${server.endpoint} (data in ${server.root})\n`);
  }

  const key = `demo/app-${new Date().toISOString().slice(0, 10)}.log`;
  const tty = process.stderr.isTTY === true && !values.quiet;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: ' {bar} {percentage}% | {done}/{all} | {rate} MB/s | ETA {eta}s | parts in flight {inflight}', hideCursor: true, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const t0 = performance.now();
  let lastLine = 0;
  const hasher = new Hasher();
  const sink = createUploadStream(bucket, key, {
    partSize,
    concurrency,
    contentTypeFrom: key,
    onProgress: (done, total) => {
      const secs = (performance.now() - t0) / 1000;
      const rate = done / MiB / Math.max(secs, 1e-3);
      const all = total ?? size;
      if (bar) {
        bar.update(done, { done: fmt(done), all: fmt(all), rate: rate.toFixed(0), inflight: sink.partsInFlight });
      } else if (!values.quiet && (performance.now() - lastLine > 1000 || done === all)) {
        lastLine = performance.now();
        process.stderr.write(`  ${fmt(done)} of ${fmt(all)} (${rate.toFixed(0)} MB/s)\n`);
      }
    },
  });
  bar?.start(size, 0, { done: fmt(0), all: fmt(size), rate: '0', inflight: 0 });
  try {
    await pipeline(logSource(size), hasher, sink);
    bar?.update(size);
    bar?.stop();
    const secs = (performance.now() - t0) / 1000;
    const r = sink.result!;
    const expected = hasher.crc.digest();
    // Read it back: getObject verifies the CRC64 of a full read as the bytes stream in.
    const t1 = performance.now();
    const got = await bucket.getObject(key);
    const back = new Crc64();
    for await (const chunk of got.body) back.update(chunk as Buffer);
    const readSecs = (performance.now() - t1) / 1000;
    const ok = back.digest() === expected && r.crc64 === expected && back.length === size;
    process.stdout.write(
      `${ok ? 'OK' : 'MISMATCH'} ${key}: ${fmt(r.size)} in ${secs.toFixed(2)} s (${(r.size / MiB / secs).toFixed(0)} MB/s), ` +
        `${r.mode}${r.parts ? ` ${r.parts.length} parts` : ''}, etag ${r.etag}, crc64 ${r.crc64}, request id ${r.requestId}; ` +
        `read back and CRC-verified in ${readSecs.toFixed(2)} s\n`,
    );
    return ok ? 0 : 1;
  } catch (err) {
    bar?.stop();
    const e = err as { code?: string; requestId?: string; message?: string };
    process.stderr.write(`oss-stream demo failed: ${e.message ?? String(err)}${e.code ? ` (code ${e.code}` : ''}${e.requestId ? `, request id ${e.requestId})` : e.code ? ')' : ''}\n`);
    return 1;
  } finally {
    await bucket.close();
    await stopServer?.();
  }
}
