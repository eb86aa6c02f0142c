/** Runs a bench worker script in its own Node process and returns the JSON it printed last. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Spawns `node [...nodeArgs] --import tsx <worker> <json job>` and resolves with the last stdout line parsed as
 * JSON; rejects with the worker's stderr when it exits non-zero.
 */
export function runWorker<T>(worker: URL, job: unknown, nodeArgs: readonly string[] = []): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...nodeArgs, '--import', 'tsx', fileURLToPath(worker), JSON.stringify(job)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${fileURLToPath(worker)} exited with ${code ?? signal}: ${err.trim()}`));
        return;
      }
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`worker printed no JSON: ${out.slice(-500)} ${err.slice(-500)}`));
      }
    });
  });
}
