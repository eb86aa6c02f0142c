/** Runs the local OSS server in a child process (via its CLI), for specs that measure this process alone. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Auth, Bucket } from 'oss-stream';

export interface ChildServer {
  endpoint: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const SERVE = fileURLToPath(new URL('../../lib/server/serve.ts', import.meta.url));

/** Starts `serve.ts` with `args` and resolves once it printed its endpoint. */
export async function startChildServer(args: string[]): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVE, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening at (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${err}`));
    });
  });
  return {
    endpoint,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/**
 * A child server that stores nothing (`--storage discard`) and a client for its bucket: the setup of the specs that
 * measure this process's memory while it uploads. Close the bucket, then stop the server.
 */
export async function startDiscardBucket(): Promise<{ server: ChildServer; bucket: Bucket }> {
  const args = ['--storage', 'discard', '--bucket', 'mem', '--access-key-id', 'ak', '--access-key-secret', 'sk'];
  const server = await startChildServer(args);
  return { server, bucket: new Bucket(new Auth('ak', 'sk'), server.endpoint, 'mem') };
}
