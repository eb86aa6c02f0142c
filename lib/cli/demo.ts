/**
 * `oss-stream demo` (`npm start`): the main job end to end. Starts the embedded local OSS server, streams a
 * generated log through `createUploadStream` with a progress bar, reads the object back verifying CRC64, and prints
 * a summary. With OSS_ENDPOINT/OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET/OSS_BUCKET set it targets that service instead.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { Auth, authFromEnv } from '../core/credentials.js';
import { Crc64 } from '../core/crc64.js';
import { Bucket } from '../bucket.js';
import { createUploadStream } from '../sinks/upload-stream.js';

const MiB = 1024 * 1024;

/**
 * Generates `total` bytes of plausible log lines, in ~64 KiB chunks. Lines have fixed-width fields, so each chunk is
 * a copy of one template with the timestamps and request ids written over it: formatting every line from scratch
 * (Date#toISOString, template strings) ran at ~90 MB/s, slower than the upload it was meant to show.
 */
function logSource(total: number): Readable {
  const levels = ['INFO ', 'INFO ', 'INFO ', 'DEBUG', 'WARN ', 'ERROR'];
  const paths = ['/api/orders   ', '/api/users/42 ', '/healthz      ', '/api/cart     ', '/static/app.js'];
  // "2026-11-26T00:00:00.000Z INFO  req=0000000000 GET /api/orders    status=200 ms=000\n"
  const TS = 24;
  const REQ_AT = TS + 1 + 5 + 5;
  const lineOf = (i: number) =>
    `${'0'.repeat(TS - 1)}Z ${levels[i % levels.length]} req=${'0'.repeat(10)} GET ${paths[i % paths.length]} ` +
    `status=${i % 17 === 0 ? 500 : 200} ms=${String(i % 250).padStart(3, '0')}\n`;
  const LINES = 30 * 17; // a multiple of every cycle above, so the template repeats cleanly
  const template = Buffer.from(Array.from({ length: LINES }, (_, i) => lineOf(i)).join(''), 'latin1');
  const lineLength = template.length / LINES;
  const start = Date.UTC(2026, 10, 26);
  let produced = 0;
  let seq = 0;
  let lastSecond = -1;
  let prefix = '';
  return new Readable({
    highWaterMark: 256 * 1024,
    read() {
      if (produced >= total) {
        this.push(null);
        return;
      }
      const chunk = Buffer.allocUnsafe(template.length);
      template.copy(chunk);
      for (let i = 0, at = 0; i < LINES; i++, at += lineLength, seq++) {
        const ms = start + seq * 7;
        const second = Math.floor(ms / 1000);
        if (second !== lastSecond) {
          lastSecond = second;
          prefix = new Date(second * 1000).toISOString().slice(0, 20);
        }
        chunk.write(prefix, at, 'latin1');
        // digits written as bytes: number-to-string conversions per line were the generator's cost
        const m = ms % 1000;
        chunk[at + 20] = 48 + ((m / 100) | 0);
        chunk[at + 21] = 48 + (((m / 10) | 0) % 10);
        chunk[at + 22] = 48 + (m % 10);
        let req = (seq * 2654435761) >>> 0;
        for (let d = at + REQ_AT + 9; d >= at + REQ_AT; d--) {
          chunk[d] = 48 + (req % 10);
          req = Math.floor(req / 10);
        }
      }
      const n = Math.min(chunk.length, total - produced);
      produced += n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}

/**
 * The embedded local server, in a child process (`oss-stream serve`): the server hashes every byte it stores (MD5
 * and CRC64), and on the client's thread it would halve what the demo shows. Falls back to an in-process server
 * when this program was not started as the `oss-stream` command.
 */
async function startLocalServer(): Promise<{ endpoint: string; root: string; stop: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'oss-stream-demo-'));
  const main = process.argv[1];
  if (main === undefined || !/(?:main\.ts|cli\.js|oss-stream)$/.test(main)) {
    const { OssServer } = await import('../server/index.js');
    const server = await OssServer.start({
      root,
      buckets: ['demo'],
      credentials: [{ accessKeyId: 'demo-ak', accessKeySecret: 'demo-secret' }],
    });
    return {
      endpoint: server.endpoint,
      root,
      stop: async () => {
        await server.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  }
  const args = [
    ...process.execArgv,
    main,
    'serve',
    '--port',
    '0',
    '--root',
    root,
    '--bucket',
    'demo',
    '--access-key-id',
    'demo-ak',
    '--access-key-secret',
    'demo-secret',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening at (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the local server exited with code ${code}`)));
  });
  child.stdout!.resume();
  return {
    endpoint,
    root,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      await rm(root, { recursive: true, force: true });
    },
  };
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

/** Help text of `demo`. */
const DEMO_USAGE = `Usage: oss-stream demo [--size MiB] [--part-size MiB] [--concurrency N] [--quiet]

Starts the embedded local OSS server (its data is removed at exit), streams a generated log of --size MiB
(default 256) through createUploadStream in parts of --part-size MiB (default 8), --concurrency N at a time
(default 4), reads it back and verifies its CRC64. With OSS_ENDPOINT, OSS_BUCKET, OSS_ACCESS_KEY_ID and
OSS_ACCESS_KEY_SECRET set, it uploads there instead.
Exit codes: 0 ok, 1 failure, 2 usage error.`;

/** Runs the demo; resolves to an exit code. */
export async function demoMain(argv: string[]): Promise<number> {
  let values: {
    size: string;
    'part-size': string;
    concurrency: string;
    parallel?: string | undefined;
    quiet: boolean;
    help?: boolean | undefined;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        size: { type: 'string', default: '256' },
        'part-size': { type: 'string', default: '8' },
        concurrency: { type: 'string', default: '4' },
        parallel: { type: 'string' }, // the old name of --concurrency
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`oss-stream demo: ${(err as Error).message}\n${DEMO_USAGE.split('\n')[0]}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${DEMO_USAGE}\n`);
    return 0;
  }
  const size = Number(values.size) * MiB;
  const partSize = Number(values['part-size']) * MiB;
  const concurrency = Number(values.parallel ?? values.concurrency);
  if (!(size >= 0) || !(partSize > 0) || !(concurrency > 0)) {
    process.stderr.write(`${DEMO_USAGE.split('\n')[0]}\n`);
    return 2;
  }

  const remote = process.env['OSS_ENDPOINT'];
  let stopServer: (() => Promise<void>) | undefined;
  let bucket: Bucket;
  if (remote !== undefined && process.env['OSS_BUCKET'] !== undefined) {
    bucket = new Bucket(authFromEnv(), remote, process.env['OSS_BUCKET'], { region: process.env['OSS_REGION'] });
    process.stderr.write(`Uploading to ${remote}, bucket ${bucket.name}\n`);
  } else {
    const server = await startLocalServer();
    stopServer = server.stop;
    bucket = new Bucket(new Auth('demo-ak', 'demo-secret'), server.endpoint, 'demo');
    process.stderr.write(
      `Started the embedded local OSS server at ${server.endpoint} (data in ${server.root}, removed at exit)\n`,
    );
  }

  const key = `demo/app-${new Date().toISOString().slice(0, 10)}.log`;
  const tty = process.stderr.isTTY === true && !values.quiet;
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          format: ' {bar} {percentage}% | {done}/{all} | {rate} MB/s | ETA {eta}s | parts in flight {inflight}',
          hideCursor: true,
          stream: process.stderr,
        },
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
      `${ok ? 'OK' : 'MISMATCH'} ${key}: ${fmt(r.size)} in ${secs.toFixed(2)} s ` +
        `(${(r.size / MiB / secs).toFixed(0)} MB/s), ${r.mode}${r.parts ? ` ${r.parts.length} parts` : ''}, ` +
        `etag ${r.etag}, crc64 ${r.crc64}, request id ${r.requestId}; ` +
        `read back and CRC-verified in ${readSecs.toFixed(2)} s\n`,
    );
    return ok ? 0 : 1;
  } catch (err) {
    bar?.stop();
    const e = err as { code?: string; requestId?: string; message?: string };
    const ids = [e.code ? `code ${e.code}` : '', e.requestId ? `request id ${e.requestId}` : ''].filter(Boolean);
    process.stderr.write(
      `oss-stream demo failed: ${e.message ?? String(err)}${ids.length ? ` (${ids.join(', ')})` : ''}\n`,
    );
    return 1;
  } finally {
    await bucket.close();
    await stopServer?.();
  }
}
