/**
 * `oss-stream ship <file>... oss://bucket/<key template>`: follows files and ships their lines exactly once with
 * {@link FileShipper}. Progress on stderr; SIGINT/SIGTERM ship the whole lines already written and exit.
 *
 * Exit codes: 0 ok (and SIGTERM), 1 failure, 2 usage error, 130 interrupted (SIGINT).
 */
import { FileShipper } from '../logs/file-shipper.js';
import { isAbortError } from '../errors.js';
import { isUsageError } from './args.js';
import { openConnection, type Connection } from './connection.js';
import { formatBytes } from './format.js';
import { parseShipArgs, SHIP_SYNOPSIS, SHIP_USAGE, type ShipParse } from './ship-args.js';

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Runs `oss-stream ship` with the arguments after `ship`; resolves to the exit code. */
export async function shipMain(argv: readonly string[]): Promise<number> {
  let parsed: ShipParse;
  try {
    parsed = parseShipArgs(argv);
  } catch (err) {
    if (!isUsageError(err)) throw err;
    say(`oss-stream ship: ${(err as Error).message}\n${SHIP_SYNOPSIS}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${SHIP_USAGE}\n`);
    return 0;
  }
  const cmd = parsed.command;
  let conn: Connection | undefined;
  let interrupted: NodeJS.Signals | undefined;
  let shipper: FileShipper | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted !== undefined) process.exit(sig === 'SIGINT' ? 130 : 143); // a second signal: stop now
    interrupted = sig;
    if (!cmd.quiet) say(`oss-stream ship: ${sig}: shipping the whole lines already written, then exiting`);
    shipper?.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    try {
      conn = await openConnection(
        {
          bucket: cmd.target.bucket,
          endpoint: cmd.endpoint,
          local: cmd.local,
          region: cmd.region,
          credentials: cmd.credentials,
          signatureVersion: cmd.signatureVersion,
        },
        say,
      );
    } catch (err) {
      if (!isUsageError(err)) throw err;
      say(`oss-stream ship: ${(err as Error).message}\n${SHIP_SYNOPSIS}`);
      return 2;
    }
    shipper = new FileShipper(conn.bucket, cmd.paths, {
      key: cmd.target.key,
      timeZone: cmd.timeZone,
      vars: cmd.vars,
      rollBytes: cmd.rollBytes,
      rollIntervalMs: cmd.rollIntervalMs,
      flushBytes: cmd.flushBytes,
      flushIntervalMs: cmd.flushIntervalMs,
      pollIntervalMs: cmd.pollIntervalMs,
      compress: cmd.compress,
      gzipLevel: cmd.gzipLevel,
      headers: { ...cmd.headers },
      stateDir: cmd.stateDir,
      once: cmd.once,
      onNotice: (line) => say(`oss-stream ship: ${line}`),
    });
    if (interrupted !== undefined) shipper.stop();
    if (!cmd.quiet) {
      let last = 0;
      shipper.on('roll', (o: { key: string; size: number }) =>
        say(`ship: closed oss://${cmd.target.bucket}/${o.key} (${formatBytes(o.size)})`),
      );
      shipper.on('objectFailed', (f: { key: string; error: Error }) =>
        say(
          `ship: oss://${cmd.target.bucket}/${f.key} is not ours any more (${f.error.message}); ` +
            'moving to the next {seq}',
        ),
      );
      shipper.on('progress', (p: { bytes: number; lag: number; key: string | undefined }) => {
        const now = Date.now();
        if (now - last < 1000) return;
        last = now;
        say(
          `ship: ${formatBytes(p.bytes)} shipped, ${formatBytes(p.lag)} behind` +
            (p.key === undefined ? '' : `, into oss://${cmd.target.bucket}/${p.key}`),
        );
      });
      // Said once the files are on record (see FileShipper 'following'): from then on nothing written to them is lost.
      shipper.once('following', () =>
        say(
          `ship: following ${cmd.paths.length} file(s) into oss://${cmd.target.bucket}/${cmd.target.key} ` +
            `(state: ${shipper!.stateFile})`,
        ),
      );
    }
    const p = await shipper.run();
    if (!cmd.quiet) say(`ship: done, ${formatBytes(p.bytes)} shipped in ${p.batches} appends`);
    return interrupted === 'SIGINT' ? 130 : 0;
  } catch (err) {
    if (isAbortError(err) && interrupted !== undefined) return interrupted === 'SIGINT' ? 130 : 0;
    const e = err as { message?: string; code?: string; requestId?: string };
    say(
      `oss-stream ship: failed: ${e.code === undefined ? '' : `${e.code}: `}${e.message ?? String(err)}` +
        (e.requestId === undefined ? '' : ` (request id ${e.requestId})`),
    );
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await conn?.close();
  }
}
