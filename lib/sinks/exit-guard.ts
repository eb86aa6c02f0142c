/**
 * Multipart uploads must not outlive the process that owns them. The common script ending
 * `main().catch(() => process.exit(1))` exits in the same turn that `pipeline()` rejects: when the SOURCE failed,
 * Node's pipeline settles without waiting for the sink, so the sink's AbortMultipartUpload (asynchronous) never
 * leaves the process and the upload stays open, billed, forever. Nothing asynchronous runs after `process.exit()`,
 * so this guard does the one thing that still can: in the `'exit'` handler it aborts every upload still guarded, by
 * presigned DELETE requests that a short-lived child process sends while this one waits (`spawnSync`), bounded by
 * the client's `cleanupTimeoutMs` so a dead network cannot hang the exit.
 *
 * An upload is guarded from the moment its id is known until its sink has either aborted it or sent Complete (a
 * commit in flight is never raced by an abort). Uploads kept on purpose (`leavePartsOnError`, resumable streams) are
 * never guarded. A `kill -9` or a signal without a handler skips `'exit'` handlers: nothing can help there. The
 * child sends with Node's own `fetch`, not the client's dispatcher: behind a proxy or a custom CA the last-chance
 * abort may fail (within the same bound); the presigned URLs use the credentials of the client's last request.
 */
import { spawnSync } from 'node:child_process';
import type { OssContext } from '../api/context.js';

interface Guarded {
  readonly ctx: OssContext;
  readonly key: string;
  readonly uploadId: string;
}

const guarded = new Set<Guarded>();
let listening = false;

// Plain JavaScript for `node -e`: reads the URLs from stdin and sends them all at once.
const CHILD = `let s = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (s += d));
process.stdin.on('end', () => Promise.allSettled(JSON.parse(s).map((u) => fetch(u, { method: 'DELETE' }))));`;

/** Presigned URLs live this long: only long enough for the child to send them. */
const URL_EXPIRES_S = 300;

/** Guards `uploadId` until the returned function is called (idempotent). */
export function guardUpload(ctx: OssContext, key: string, uploadId: string): () => void {
  const g: Guarded = { ctx, key, uploadId };
  guarded.add(g);
  if (!listening) {
    listening = true;
    process.on('exit', abortGuarded);
  }
  return () => {
    guarded.delete(g);
    if (guarded.size === 0 && listening) {
      listening = false;
      process.off('exit', abortGuarded);
    }
  };
}

function abortGuarded(): void {
  const urls: string[] = [];
  let timeoutMs = 0;
  for (const g of guarded) {
    try {
      const url = g.ctx.presignSync('DELETE', g.key, URL_EXPIRES_S, { uploadId: g.uploadId });
      if (url === undefined) continue;
      urls.push(url);
      timeoutMs = Math.max(timeoutMs, g.ctx.options.cleanupTimeoutMs);
    } catch {
      // a client that cannot sign any more: nothing to send for it
    }
  }
  guarded.clear();
  if (urls.length === 0) return;
  try {
    spawnSync(process.execPath, ['-e', CHILD], {
      input: JSON.stringify(urls),
      timeout: timeoutMs,
      stdio: ['pipe', 'ignore', 'ignore'],
      // the child must not inherit loaders or hooks meant for this process
      env: { ...process.env, NODE_OPTIONS: '' },
      windowsHide: true,
    });
  } catch {
    // exiting anyway: the uploads stay open, as they would have without the guard
  }
}
