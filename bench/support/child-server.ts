/**
 * The local OSS server in a child process, so that the client's CPU and memory are measured alone (on a 2-core
 * machine the server gets one core, the client the other).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { BENCH_SOURCE } from './lib.js';

/** Credentials and bucket every bench server accepts. */
export const BENCH = Object.freeze({ bucket: 'bench', accessKeyId: 'bench-ak', accessKeySecret: 'bench-sk' });

/** A running child server. */
export interface BenchServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** `127.0.0.1:<port>` */
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** How to start the server. */
export interface BenchServerOptions {
  storage: 'discard' | 'disk';
  /** Skip signature checks (the raw-undici ceiling sends unsigned requests). */
  anonymous?: boolean;
  /**
   * Benchmark mode `--skip-md5`: the server hashes CRC-64 only (still returned, so clients still verify), so that
   * a fast client, not the server's MD5, sets the pace. ETags then are not content MD5s.
   */
  skipMd5?: boolean;
}

// The server as users start it (`oss-stream serve`, built), or its sources with BENCH_SOURCE=lib (see ./lib.ts).
const SERVE =
  BENCH_SOURCE === 'dist'
    ? [fileURLToPath(new URL('../../dist/cli.js', import.meta.url)), 'serve']
    : ['--import', 'tsx', fileURLToPath(new URL('../../lib/server/serve.ts', import.meta.url))];

/** Starts `lib/server/serve.ts` and resolves once it printed its endpoint. */
export async function startBenchServer(opts: BenchServerOptions): Promise<BenchServer> {
  // BENCH_SERVER_PROF_DIR=<dir> profiles the server too (written when it stops), for bench/tools/profile-*.ts.
  const prof = process.env['BENCH_SERVER_PROF_DIR'];
  const args = [
    ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
    ...SERVE,
    '--port',
    '0',
    '--storage',
    opts.storage,
    '--bucket',
    BENCH.bucket,
  ];
  args.push('--access-key-id', BENCH.accessKeyId, '--access-key-secret', BENCH.accessKeySecret);
  if (opts.anonymous === true) args.push('--anonymous');
  if (opts.skipMd5 === true) args.push('--skip-md5');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench server did not start: ${err}`)), 30_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /listening at (\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep draining whatever else it prints
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench server exited with ${code}: ${err}`));
    });
  });
  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Starts a server, runs `fn`, and always stops the server. */
export async function withBenchServer<T>(
  opts: BenchServerOptions,
  fn: (server: BenchServer) => Promise<T>,
): Promise<T> {
  const server = await startBenchServer(opts);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}
