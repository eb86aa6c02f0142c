/**
 * The `oss-stream ship` crash scenario: a writer child appends numbered lines at a few thousand lines/s and rotates
 * the log (by rename and by copytruncate, alternately) while `oss-stream ship` runs in a child process; the shipper
 * is SIGKILLed at random instants and restarted; at the end one `ship --once` catches up, and the objects read in
 * seq order must hold every line exactly once, in order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Auth, Bucket, OssServiceError } from 'oss-stream';
import { OssServer } from 'oss-stream/server';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const AK = 'ship-ak';
const SK = 'ship-sk-secret';
const BUCKET = 'ship-spec';

const WRITER = `
import { closeSync, copyFileSync, ftruncateSync, openSync, renameSync, writeSync } from 'node:fs';
const [path, every, perTick] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
let fd = openSync(path, 'a');
let n = 0, rotations = 0, stop = false;
process.on('SIGTERM', () => { stop = true; });
function rotate() {
  rotations++;
  if (rotations % 2 === 1) { renameSync(path, path + '.' + rotations); closeSync(fd); fd = openSync(path, 'a'); }
  else { copyFileSync(path, path + '.' + rotations); ftruncateSync(fd, 0); }
}
function tick() {
  if (stop) { closeSync(fd); process.stdout.write(JSON.stringify({ lines: n, rotations })); return; }
  let s = '';
  for (let i = 0; i < perTick; i++) {
    s += 'line ' + String(n).padStart(8, '0') + ' ' + 'x'.repeat(n % 50) + '\\n';
    n++;
    if (n % every === 0) { writeSync(fd, s); s = ''; rotate(); }
  }
  if (s !== '') writeSync(fd, s);
  setTimeout(tick, 10);
}
tick();
`;

export interface ShipCrashOptions {
  kills: number;
  gzip: boolean;
  seed: number;
  /** Lines between rotations. */
  rotateEvery: number;
  log?: ((line: string) => void) | undefined;
  /** Keep the scratch directory (state file, logs) for a post-mortem. */
  keep?: boolean | undefined;
}

export interface ShipCrashResult {
  lines: number;
  rotations: number;
  objects: number;
  /** Line numbers in the order the objects hold them. */
  numbers: number[];
  kills: number;
}

function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/**
 * A TypeScript entry bundled into one JavaScript file in `dir` (esbuild, which tsx brings), so a child restarted many
 * times costs a Node start, not a TypeScript compile each time. `oss-stream` resolves to the sources. Returns the
 * node arguments that run it; without esbuild, tsx runs the source.
 */
export async function bundledEntry(dir: string, entry: string, name: string): Promise<string[]> {
  try {
    const esbuild = await import('esbuild');
    const outfile = join(dir, name);
    await esbuild.build({
      entryPoints: [join(ROOT, entry)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outfile,
      logLevel: 'silent',
      alias: { 'oss-stream': join(ROOT, 'lib/index.ts') },
    });
    return [outfile];
  } catch {
    return ['--import', 'tsx', join(ROOT, entry)];
  }
}

/** The CLI as one bundle (see {@link bundledEntry}). */
export function cliCommand(dir: string): Promise<string[]> {
  return bundledEntry(dir, 'lib/cli/main.ts', 'cli.js');
}

export async function runShipCrashScenario(opts: ShipCrashOptions): Promise<ShipCrashResult> {
  const rand = random(opts.seed);
  await mkdir(join(ROOT, 'tmp'), { recursive: true });
  // Inside the project, so the bundle's bare imports resolve from node_modules.
  const dir = await mkdtemp(join(ROOT, 'tmp', 'ship-crash-'));
  const server = await OssServer.start({ credentials: [{ accessKeyId: AK, accessKeySecret: SK }], buckets: [BUCKET] });
  const bucket = new Bucket(new Auth(AK, SK), server.endpoint, BUCKET, { retryBaseDelayMs: 1, retryMaxDelayMs: 20 });
  const children = new Set<ChildProcess>();
  try {
    const cli = await cliCommand(dir);
    const writerFile = join(dir, 'writer.mjs');
    await writeFile(writerFile, WRITER);
    const logDir = join(dir, 'logs');
    await mkdir(logDir);
    const log = join(logDir, 'app.log');
    await writeFile(log, '');
    const suffix = opts.gzip ? '.log.gz' : '.log';
    const args = [
      ...cli,
      'ship',
      log,
      `oss://${BUCKET}/ship/app-{seq}${suffix}`,
      '--state-dir',
      join(dir, 'state'),
      '--flush-interval',
      '30ms',
      '--flush-size',
      '16KiB',
      '--roll-size',
      '96KiB',
      '--poll-interval',
      '20ms',
      ...(opts.gzip ? ['--compress', 'gzip', '--gzip-level', '1'] : []),
    ];
    const env = { ...process.env, OSS_ENDPOINT: server.endpoint, OSS_ACCESS_KEY_ID: AK, OSS_ACCESS_KEY_SECRET: SK };
    const startShipper = (extra: string[] = []) => {
      const child = spawn(process.execPath, [...args, ...extra], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.add(child);
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const exited = once(child, 'exit').then(([code, signal]) => {
        children.delete(child);
        return { code: code as number | null, signal: signal as string | null, stderr: err };
      });
      const started = new Promise<void>((resolve, reject) => {
        child.stderr!.on('data', () => {
          if (err.includes('ship: following')) resolve();
        });
        void exited.then((r) => reject(new Error(`shipper exited early (${r.code}/${r.signal}): ${r.stderr}`)));
      });
      return { child, started, exited };
    };

    // The writer starts once the first shipper follows the log: lines rotated away before a shipper ever ran are not
    // its to ship (it starts at the live file), and on a loaded machine its start can take longer than 3 rotations.
    let writer: ChildProcess | undefined;
    let writerOut = '';
    const startWriter = (): void => {
      writer = spawn(process.execPath, [writerFile, log, String(opts.rotateEvery), '30'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.add(writer);
      writer.stdout!.on('data', (d: Buffer) => (writerOut += d.toString()));
    };

    for (let k = 0; k < opts.kills; k++) {
      const s = startShipper();
      await s.started;
      if (writer === undefined) startWriter();
      // A random instant while it ships: mid-append, mid-state-save, mid-roll, mid-rotation.
      await new Promise((r) => setTimeout(r, 30 + Math.floor(rand() * 400)));
      s.child.kill('SIGKILL');
      const r = await s.exited;
      if (r.signal !== 'SIGKILL') throw new Error(`shipper ended on its own (${r.code}): ${r.stderr}`);
      opts.log?.(`kill ${k + 1}: ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}`);
      if (opts.keep === true) await writeFile(join(dir, `stderr-${k + 1}.txt`), r.stderr);
    }
    if (writer === undefined) startWriter();
    writer!.kill('SIGTERM');
    await once(writer!, 'exit');
    children.delete(writer!);
    const { lines, rotations } = JSON.parse(writerOut) as { lines: number; rotations: number };

    const last = startShipper(['--once']);
    const r = await last.exited;
    if (r.code !== 0) throw new Error(`final ship --once exited with ${r.code}: ${r.stderr}`);
    opts.log?.(r.stderr.trim());

    const numbers: number[] = [];
    let objects = 0;
    for (let seq = 0; ; seq++) {
      let body: Buffer;
      try {
        const { body: stream } = await bucket.getObject(`ship/app-${seq}${suffix}`);
        const parts: Buffer[] = [];
        for await (const c of stream) parts.push(c as Buffer);
        body = Buffer.concat(parts);
      } catch (err) {
        if (err instanceof OssServiceError && err.status === 404) break;
        throw err;
      }
      objects++;
      const text = (opts.gzip ? gunzipSync(body) : body).toString();
      if (text !== '' && !text.endsWith('\n')) throw new Error(`object ${seq} ends inside a line`);
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const m = /^line (\d{8}) (x*)$/.exec(line);
        if (m === null || m[2]!.length !== Number(m[1]) % 50)
          throw new Error(`object ${seq} holds a damaged line: ${JSON.stringify(line.slice(0, 80))}`);
        numbers.push(Number(m[1]));
      }
    }
    return { lines, rotations, objects, numbers, kills: opts.kills };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await bucket.close();
    await server.close();
    if (opts.keep === true) opts.log?.(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}
