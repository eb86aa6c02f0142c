/**
 * Waiting for a condition instead of sleeping for a guess: the machines that run the specs are two shared cores,
 * where "20 ms is enough" is sometimes not. `eventually` polls until the check passes (or returns a truthy value)
 * and fails with the check's last error once `timeoutMs` has passed, so a spec is as fast as the machine allows and
 * still fails, with the real reason, when the condition never comes.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface EventuallyOptions {
  /** Give up after this long (default 5,000 ms). */
  timeoutMs?: number;
  /** Pause between attempts (default 5 ms). */
  intervalMs?: number;
}

/**
 * Resolves with the first passing result of `check`: a call that neither throws nor returns `false` (nor a promise of
 * either). Rejects with the last failure after `timeoutMs`.
 *
 * @example
 * await eventually(() => expect(server.stats.requests('AbortMultipartUpload')).to.equal(1));
 */
export async function eventually<T>(check: () => T | Promise<T>, opts: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const intervalMs = opts.intervalMs ?? 5;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== false) return value;
      last = new Error('condition still false');
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      if (last instanceof Error) last.message = `not within ${timeoutMs} ms: ${last.message}`;
      throw last;
    }
    await delay(intervalMs);
  }
}

/**
 * Asserts that `check` keeps passing while the event loop turns `turns` times and `minMs` pass: the honest form of
 * "nothing happened after 20 ms" (it waits for both, so a slow machine lengthens the window instead of shortening it).
 */
export async function consistently(check: () => unknown, opts: { minMs?: number; turns?: number } = {}): Promise<void> {
  const minMs = opts.minMs ?? 50;
  const turns = opts.turns ?? 20;
  const start = Date.now();
  for (let i = 0; i < turns || Date.now() - start < minMs; i++) {
    await check();
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (i >= turns) await delay(5);
  }
  await check();
}
