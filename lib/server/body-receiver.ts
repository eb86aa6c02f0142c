/**
 * Reads a request body into a Writable while counting, hashing (MD5 + CRC-64) and size-checking it, chunk by
 * chunk as it arrives: no buffering of the body, no per-chunk allocation beyond what the socket hands us.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import { Crc64 } from '../core/crc64.js';
import { ServerError } from './server-error.js';
import type { Throttle } from './traffic-limit.js';

/** The connection is gone (client abort or an injected reset): there is nobody to answer. */
export class ConnectionGone extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionGone';
  }
}

/** Digest of a received body. */
export interface BodyDigest {
  size: number;
  /** `undefined` when the body was not MD5-hashed ({@link ReceiveOptions.md5}). */
  md5: Buffer | undefined;
  crc64: string;
}

/** A digest whose MD5 was computed (copies and POST forms always hash it). */
export type HashedDigest = BodyDigest & { md5: Buffer };

/** How to receive one body. */
interface ReceiveOptions {
  /** More bytes than this → 400 EntityTooLarge. */
  maxBytes: number;
  /** Injected fault: destroy the connection once this many bytes arrived (or at the end if fewer came). */
  resetAfter?: number | undefined;
  /** Called with the length of every chunk that arrived, before any check, for the byte counters. */
  onBytes: (n: number) => void;
  /** `x-oss-traffic-limit`: the body is read no faster than this pace (the request ends no earlier either). */
  throttle?: Throttle | undefined;
  /** Hash MD5 too; default `true` (the server's benchmark mode `skipMd5` turns it off). */
  md5?: boolean | undefined;
}

/** Destroys the request's connection with a TCP RST when the platform allows, like a network reset. */
export function resetConnection(req: IncomingMessage): void {
  const s = req.socket as IncomingMessage['socket'] & { resetAndDestroy?: () => void };
  if (typeof s.resetAndDestroy === 'function' && !s.destroyed) s.resetAndDestroy();
  else s.destroy();
}

/**
 * Streams the body of `req` into `dest` and resolves with its size and digests once `dest` closed. On any failure
 * `dest` is destroyed and the promise rejects: with a {@link ServerError} (EntityTooLarge) while the connection is
 * still usable for an answer, or with {@link ConnectionGone} when it is not.
 */
export function receiveBody(req: IncomingMessage, dest: Writable, opts: ReceiveOptions): Promise<BodyDigest> {
  return new Promise<BodyDigest>((resolve, reject) => {
    const md5 = opts.md5 === false ? undefined : createHash('md5');
    const crc = new Crc64();
    let size = 0;
    let settled = false;

    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onReqError);
      dest.off('drain', onDrain);
      dest.off('error', onDestError);
    };
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      if (err instanceof ConnectionGone) resetConnection(req);
      else req.pause();
      dest.once('error', () => undefined);
      // Settle only once dest let go of its file, so the caller can delete it right away.
      if (dest.closed) reject(err);
      else {
        dest.once('close', () => reject(err));
        dest.destroy();
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      opts.onBytes(chunk.length);
      if (opts.resetAfter !== undefined && size >= opts.resetAfter) {
        fail(new ConnectionGone(`connection reset by fault after ${size} bytes`));
        return;
      }
      if (size > opts.maxBytes) {
        fail(
          new ServerError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', {
            MaxSizeAllowed: String(opts.maxBytes),
          }),
        );
        return;
      }
      md5?.update(chunk);
      crc.update(chunk);
      const wait = opts.throttle?.take(chunk.length) ?? 0;
      if (wait > 0) {
        req.pause();
        blocked += 1;
        setTimeout(unblock, wait);
      }
      if (!dest.write(chunk)) {
        if (wait === 0) req.pause();
        blocked += 1;
        dest.once('drain', onDrain);
      }
    };
    // The body flows again once neither the destination (backpressure) nor the throttle holds it.
    let blocked = 0;
    const unblock = (): void => {
      blocked -= 1;
      if (blocked === 0 && !settled) req.resume();
    };
    const onDrain = (): void => {
      unblock();
    };
    const onEnd = (): void => {
      if (settled) return;
      if (opts.resetAfter !== undefined) {
        fail(new ConnectionGone(`connection reset by fault after ${size} bytes (end of body)`));
        return;
      }
      const wait = opts.throttle?.pending() ?? 0;
      if (wait > 0) {
        setTimeout(onEnd, wait);
        return;
      }
      cleanup();
      dest.once('error', onDestError);
      dest.once('close', () => {
        if (settled) return;
        settled = true;
        dest.off('error', onDestError);
        resolve({ size, md5: md5?.digest(), crc64: crc.digest() });
      });
      dest.end();
    };
    const onClose = (): void => {
      if (!req.complete) fail(new ConnectionGone('client closed the connection before the body was complete'));
    };
    const onReqError = (err: Error): void => {
      fail(new ConnectionGone(`request stream failed: ${err.message}`));
    };
    const onDestError = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      req.pause();
      dest.destroy();
      reject(err);
    };

    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onReqError);
    dest.on('error', onDestError);
    if (opts.resetAfter === 0) {
      fail(new ConnectionGone('connection reset by fault before the body'));
      return;
    }
    req.resume();
  });
}

/**
 * Reads a small body (XML of Complete, PutBucket configuration) into memory, up to `maxBytes`
 * (beyond → 400 `tooLargeCode`, leaving the rest unread for {@link drainBody}).
 */
export function readSmallBody(
  req: IncomingMessage,
  maxBytes: number,
  onBytes: (n: number) => void,
  tooLargeCode = 'MalformedXML',
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      onBytes(chunk.length);
      if (size > maxBytes) {
        cleanup();
        req.pause();
        reject(new ServerError(400, tooLargeCode, `The request body exceeds ${maxBytes} bytes.`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onClose = (): void => {
      if (req.complete) return;
      cleanup();
      reject(new ConnectionGone('client closed the connection before the body was complete'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new ConnectionGone(`request stream failed: ${err.message}`));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onError);
    req.resume();
  });
}

/**
 * Reads and discards whatever is left of a body, counting it; does not wait. Draining keeps the connection usable
 * for the next request, but only up to `maxBytes`: beyond, the connection is destroyed, so a body nobody reads
 * cannot keep the server busy for as long as its sender likes.
 */
export function drainBody(req: IncomingMessage, onBytes: (n: number) => void, maxBytes: number): void {
  if (req.complete || req.readableEnded || req.destroyed) return;
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    onBytes(chunk.length);
    if (size > maxBytes) req.socket.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}
