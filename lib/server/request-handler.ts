/**
 * One request from arrival to answer: addressing, operation choice, authentication, fault rules, the handler,
 * and the answer with OSS's common headers. Also where every request and body byte is counted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { authenticate } from './auth.js';
import { ConnectionGone, drainBody, resetConnection } from './body-receiver.js';
import type { OpContext, ServerCore } from './context.js';
import type { FaultAction, FaultInjector } from './faults.js';
import { OPERATIONS } from './ops/index.js';
import { errorReply, newRequestId, sendReply, toServerError, type Reply, type ReplyScope } from './respond.js';
import { resolveTarget, selectOp, type OpName, type Target } from './router.js';
import { ServerError } from './server-error.js';
import type { OpStats, ServerStats } from './stats.js';
import { Throttle, trafficLimitOf } from './traffic-limit.js';

/** Request headers as a flat record with lower-case names (repeated headers joined with `,`). */
function flattenHeaders(raw: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(',') : v;
  }
  return out;
}

function faultError(f: Extract<FaultAction, { type: 'error' }>): ServerError {
  const status = f.status ?? 500;
  if (status === 503) {
    return new ServerError(
      503,
      f.code ?? 'ServiceUnavailable',
      f.message ?? 'Please reduce your request rate.',
      {},
      {
        'x-oss-qos-delay-time': String(f.qosDelayTimeMs ?? 1000),
      },
    );
  }
  if (status === 408) {
    const message = 'Your socket connection to the server was not read from or written to within the timeout period.';
    return new ServerError(408, f.code ?? 'RequestTimeout', f.message ?? message);
  }
  return new ServerError(
    500,
    f.code ?? 'InternalError',
    f.message ?? 'We encountered an internal error. Please try again.',
  );
}

/** A wrong but well-formed CRC-64: the lowest bit flipped. */
function corrupt(crc: string): string {
  return (BigInt(crc) ^ 1n).toString();
}

/** The largest body this server would accept (a PutObject or a part): more than that is never worth draining. */
function drainLimit(core: ServerCore): number {
  return Math.max(core.options.limits.maxPutSize, core.options.limits.maxPartSize);
}

/** False when the request declares a `Content-Length` above `max` (a chunked or absent body is not declared). */
function declaredAtMost(headers: Record<string, string>, max: number): boolean {
  const cl = headers['content-length'];
  return cl === undefined || !/^\d+$/.test(cl) || Number(cl) <= max;
}

/** Builds the `request` listener of the HTTP server. */
export function createRequestHandler(
  core: ServerCore,
  faults: FaultInjector,
  stats: ServerStats,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(core, faults, stats, req, res).catch(() => {
      // Last resort: a bug must not crash the server process; the client sees a dropped connection.
      res.destroy();
    });
  };
}

async function handle(
  core: ServerCore,
  faults: FaultInjector,
  stats: ServerStats,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = performance.now();
  const requestId = newRequestId();
  const method = (req.method ?? 'GET').toUpperCase();
  const headers = flattenHeaders(req.headers);
  const host = headers['host'] ?? core.options.host;
  const { target, op, routeError } = route(core, req, method, headers);
  const counters = stats.op(op);
  counters.requests += 1;
  res.once('close', stats.started(op));
  const onBytesIn = (n: number): void => {
    counters.bytesIn += n;
  };
  const partNumber = op === 'UploadPart' ? Number(target.query['partNumber']) : undefined;
  const fault = routeError === undefined ? faults.take(op, partNumber) : undefined;
  const scope: ReplyScope = {
    requestId,
    started,
    method,
    hostId: target.bucket !== undefined && target.style === 'path' ? `${target.bucket}.${host}` : host,
    onBytesOut: (n) => {
      counters.bytesOut += n;
    },
    resetAfterBytes: fault?.type === 'reset' && op === 'GetObject' ? (fault.afterBytes ?? 0) : undefined,
    reset: () => resetConnection(req),
  };
  const ctx: OpContext = {
    core,
    req,
    op,
    method,
    bucketName: target.bucket,
    key: target.key,
    query: target.query,
    headers,
    requestId,
    host,
    style: target.style,
    fault,
    onBytesIn,
    bodyTaken: false,
  };

  let reply: Reply;
  let tooLarge = false;
  try {
    if (routeError !== undefined) throw routeError;
    reply = await runOperation(ctx, scope);
  } catch (err) {
    if (err instanceof ConnectionGone) {
      counters.errors += 1;
      return;
    }
    const error = toServerError(err);
    tooLarge = error.code === 'EntityTooLarge';
    reply = errorReply(error, scope);
  }
  await answer(ctx, res, reply, scope, counters, tooLarge);
}

/**
 * The bucket, key and query a request names and the operation they select. A request that cannot be addressed is
 * still counted (as Unsupported) and answered: its error is returned, not thrown.
 */
function route(
  core: ServerCore,
  req: IncomingMessage,
  method: string,
  headers: Record<string, string>,
): { target: Target; op: OpName; routeError: unknown } {
  let target: Target = { query: {}, style: 'none' };
  try {
    target = resolveTarget(req.url ?? '/', headers['host'], (name) => core.registry.has(name));
    return { target, op: selectOp(method, target, headers), routeError: undefined };
  } catch (err) {
    return { target, op: 'Unsupported', routeError: err };
  }
}

/** Authentication, an injected `error` fault, `x-oss-traffic-limit`, then the operation's handler. */
async function runOperation(ctx: OpContext, scope: ReplyScope): Promise<Reply> {
  const { core, method, headers, query } = ctx;
  // A PostObject form carries its signature in its fields: its handler authenticates it.
  if (!core.options.anonymous && ctx.op !== 'PostObject') {
    authenticate(
      {
        method,
        ...(ctx.bucketName === undefined ? {} : { bucket: ctx.bucketName }),
        ...(ctx.key === undefined ? {} : { key: ctx.key }),
        query,
        headers,
        now: new Date(),
        region: core.options.region,
        maxClockSkewMs: core.options.limits.maxClockSkewMs,
      },
      core.options.credentials,
    );
  }
  if (ctx.fault?.type === 'error') throw faultError(ctx.fault);
  const limit = trafficLimitOf(headers, query);
  if (limit !== undefined) {
    ctx.throttle = new Throttle(limit);
    scope.throttle = new Throttle(limit);
  }
  return OPERATIONS[ctx.op](ctx);
}

/**
 * Sends `reply`: after draining an unread body (or deciding to close instead of reading a large one), and with the
 * answer-side faults applied (`drop-after-commit`, `corrupt-crc64`, `delay`).
 */
async function answer(
  ctx: OpContext,
  res: ServerResponse,
  reply: Reply,
  scope: ReplyScope,
  counters: OpStats,
  tooLarge: boolean,
): Promise<void> {
  const { core, req, fault } = ctx;
  if (!ctx.bodyTaken && !tooLarge && declaredAtMost(ctx.headers, drainLimit(core)))
    drainBody(req, ctx.onBytesIn, drainLimit(core));
  else if (!req.complete) {
    // A body refused as too large (before or while it was read) or larger than any body we accept: answer, then
    // close instead of reading the rest.
    reply.headers['connection'] = 'close';
  }
  if (fault?.type === 'drop-after-commit') {
    counters.errors += 1;
    reply.release?.();
    reply.stream?.destroy();
    resetConnection(req);
    return;
  }
  if (fault?.type === 'corrupt-crc64' && reply.headers['x-oss-hash-crc64ecma'] !== undefined) {
    reply.headers['x-oss-hash-crc64ecma'] = corrupt(reply.headers['x-oss-hash-crc64ecma']);
  }
  if (fault?.type === 'delay') await sleep(fault.ms);
  if (reply.status >= 300 || fault?.type === 'reset') counters.errors += 1;
  await sendReply(res, reply, scope);
}
