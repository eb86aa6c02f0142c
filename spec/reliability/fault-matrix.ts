/**
 * The fault matrix: every fault the local server can inject × every upload path, as CELLS. A cell runs ONE
 * randomized trial from a seed (which request gets the fault, how many times, retries, data size, chunking, part
 * size, concurrency…) and judges it. A trial passes only when it ends in exactly one of:
 *
 * - success: the call resolved, its result names the right size and CRC64, and reading the object back (GetObject
 *   verifies the CRC64 as the bytes flow) gives exactly the bytes uploaded;
 * - a typed error: an {@link OssError} with the code the fault implies (an {@link OssIntegrityError} for a wrong
 *   CRC64), the source and the sink destroyed (stream paths), no multipart upload left for the key (but a
 *   resumable upload keeps its upload and checkpoint, and a second fault-free run must finish it byte-exact), and
 *   no corrupt object: the key is absent or byte-exact (an append leaves a whole-batch prefix with a valid CRC64).
 *
 * Which of the two a trial must end in is PREDICTED from its parameters (see `expect*` below and the `why` of each
 * cell): e.g. a 500 that hits a replayable body `times` times succeeds iff `retries >= times`. A trial that ends
 * in the other outcome, or in the right one with a wrong detail, fails with a reason and its seed.
 *
 * Used by `fault-matrix.spec.ts` (a fixed-seed subset in `npm test`) and `soak.ts` (≥ 50 random seeds per cell).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import {
  crc64,
  createAppendStream,
  createPutStream,
  createUploadStream,
  determinePartSize,
  LIMITS,
  MultipartWritable,
  OssError,
  OssIntegrityError,
  OssServiceError,
  resumableUpload,
  ResumableStore,
  type Bucket,
  type MultipartResult,
  type PutObjectResult,
  type ResumableUploadResult,
  type AppendStreamResult,
} from 'oss-stream';
import type { FaultAction, OssServer } from 'oss-stream/server';
import { chunked } from '../support/bytes.js';
import { clientFor, startServer } from '../support/local-oss.js';

const KiB = 1024;

/** The faults, as the issue names them. */
export const FAULTS = ['reset', 'http500', 'http503', 'timeout', 'lost-ack', 'bad-crc'] as const;
/** One fault of {@link FAULTS}. */
export type FaultId = (typeof FAULTS)[number];

/** The upload paths. `multipart` is MultipartWritable or createUploadStream (picked by the seed), always multipart-sized. */
export const PATHS = ['put-bytes', 'put-file', 'put-stream', 'append-stream', 'multipart', 'resumable'] as const;
/** One path of {@link PATHS}. */
export type PathId = (typeof PATHS)[number];

/** Both sides shrink the 100 KiB minimum part so multipart trials stay small and fast. */
export const MATRIX_LIMITS = { minPartSize: 1 * KiB };
const CLIENT_LIMITS = { ...LIMITS, ...MATRIX_LIMITS };

/** A trial that has not settled after this long is a hang: a failure of its own. */
const TRIAL_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------------------------
// Seeded randomness

/** mulberry32: a small, fast, seedable PRNG, so a failing seed replays the same trial. */
export class Rng {
  #s: number;

  constructor(seed: number) {
    // Scrambled first (murmur3's finalizer): mulberry32's first outputs of neighbouring small seeds are correlated,
    // and the fixed-seed subset uses small seeds.
    let h = (seed ^ 0x9e3779b9) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    this.#s = (h ^ (h >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Log-uniform integer in [lo, hi] (lo ≥ 1): small and large values equally likely per decade. */
  logInt(lo: number, hi: number): number {
    return Math.min(hi, Math.floor(Math.exp(Math.log(lo) + this.next() * (Math.log(hi + 1) - Math.log(lo)))));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of `xs`, uniformly. */
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }

  /**
   * Random bytes. Not `pattern()`: its 256-byte period would hide a swapped or duplicated part whose size is a
   * multiple of 256 (every 1 KiB part looks the same).
   */
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) b.writeUInt32LE(Math.floor(this.next() * 4294967296), i);
    for (; i < n; i++) b[i] = Math.floor(this.next() * 256);
    return b;
  }

  /** Chunk sizes for `chunked()`: 1..4 sizes from 1 byte to 64 KiB, at least one ≥ 512 so chunk counts stay sane. */
  chunkSizes(): number[] {
    const sizes = Array.from({ length: this.int(1, 4) }, () => this.logInt(1, 64 * KiB));
    if (Math.max(...sizes) < 512) sizes.push(this.logInt(512, 64 * KiB));
    return sizes;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Faults

/** What a trial injects, drawn from its seed. */
export interface FaultPlan {
  readonly fault: FaultId;
  /** Requests the fault hits (consecutive attempts of the target request). */
  readonly times: number;
  /** The uploading client's `retries`. */
  readonly retries: number;
  /** The uploading client's `timeoutMs` (only for `timeout`; the server holds the answer `delayMs`). */
  readonly timeoutMs: number | undefined;
  readonly delayMs: number;
  /** `x-oss-qos-delay-time` of a 503. */
  readonly qosMs: number;
}

function planFault(fault: FaultId, rng: Rng): FaultPlan {
  const times = rng.int(1, 2);
  // Mostly enough retries to get past the fault, sometimes not: both outcomes get exercised.
  const retries = rng.pick([0, 1, 2, 3, 3, 3]);
  // undici runs its headers timeout on a coarse clock (499 ms ticks): a timeout up to ~1 s fires 0.5..1 s after the
  // request body ended, whatever its value. The held answer must come well after that, or nothing times out.
  const timeoutMs = fault === 'timeout' ? rng.int(100, 500) : undefined;
  return { fault, times, retries, timeoutMs, delayMs: 1300 + rng.int(0, 300), qosMs: rng.int(40, 100) };
}

/** One action per faulted request; `bodySize` bounds where a reset cuts the body. */
function actionsFor(plan: FaultPlan, rng: Rng, bodySize: number): FaultAction[] {
  return Array.from({ length: plan.times }, (): FaultAction => {
    switch (plan.fault) {
      case 'reset':
        return { type: 'reset', afterBytes: rng.int(0, bodySize) };
      case 'http500':
        return { type: 'error', status: 500 };
      case 'http503':
        return { type: 'error', status: 503, qosDelayTimeMs: plan.qosMs };
      case 'timeout':
        return { type: 'delay', ms: plan.delayMs };
      case 'lost-ack':
        return { type: 'drop-after-commit' };
      case 'bad-crc':
        return { type: 'corrupt-crc64' };
    }
  });
}

/** The error code a fault surfaces as once the retries are spent. */
function codeOf(fault: FaultId): string {
  switch (fault) {
    case 'reset':
    case 'lost-ack':
      return 'NetworkError';
    case 'http500':
      return 'InternalError';
    case 'http503':
      return 'ServiceUnavailable';
    case 'timeout':
      return 'RequestTimeout';
    case 'bad-crc':
      return 'InconsistentCrc64';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Expectations

/** The one outcome a trial must end in, and what must hold after it. */
export interface Expectation {
  outcome: 'success' | 'error';
  /** Accepted error codes (outcome `error`). */
  codes: readonly string[];
  /** What may be stored under the key after an error. */
  stored: 'absent' | 'exact' | 'prefix';
  /** Uploads of the key that no one can resume or abort: the uploads of Initiate requests whose answer was lost. */
  orphans: number;
  /** Resumable only, after an error: is the checkpoint (and its upload) still there? */
  checkpoint?: 'kept' | 'gone';
  /** Requests of the target operation on success: each faulted attempt plus the one that worked. */
  requests?: number;
  /** One line: why this is the right outcome. */
  why: string;
}

const ok = (why: string, extra: Partial<Expectation> = {}): Expectation => ({
  outcome: 'success',
  codes: [],
  stored: 'exact',
  orphans: 0,
  why,
  ...extra,
});
const fails = (
  codes: string | readonly string[],
  stored: Expectation['stored'],
  why: string,
  extra: Partial<Expectation> = {},
): Expectation => ({
  outcome: 'error',
  codes: typeof codes === 'string' ? [codes] : codes,
  stored,
  orphans: 0,
  why,
  ...extra,
});

/** True when the client retries past every faulted attempt. */
const past = (p: FaultPlan): boolean => p.retries >= p.times;

/** putObject with bytes or a file: every body is replayable, so only `retries` vs `times` decides. */
function expectPut(p: FaultPlan, baseRequests: number): Expectation {
  const requests = baseRequests + p.times;
  switch (p.fault) {
    case 'reset':
    case 'http500':
    case 'http503':
      return past(p)
        ? ok('nothing was stored by the faulted attempts; the replayable body is resent', { requests })
        : fails(codeOf(p.fault), 'absent', 'retries spent; the faulted attempts stored nothing');
    case 'timeout':
    case 'lost-ack':
      return past(p)
        ? ok('the late/lost answer is retried; PUT is idempotent, the retry stores the same bytes', { requests })
        : fails(
            codeOf(p.fault),
            'exact',
            'retries spent, but the server had stored the whole body: the object is byte-exact',
          );
    case 'bad-crc':
      return fails(
        'InconsistentCrc64',
        'exact',
        'an answer that contradicts the bytes sent is never retried away; the server did store the right bytes',
      );
  }
}

/** createPutStream: the body is gone once pulled, so no fault is retried. */
function expectPutStream(p: FaultPlan): Expectation {
  switch (p.fault) {
    case 'reset':
      return fails('NetworkError', 'absent', 'a stream body cannot be replayed; the cut body is never committed');
    case 'http500':
    case 'http503':
      return fails(
        codeOf(p.fault),
        'absent',
        'the server refused before storing; a half-sent stream cannot be replayed',
      );
    case 'timeout':
      return fails(
        'RequestTimeout',
        'exact',
        'not retryable (stream); the whole body had arrived, so the object exists byte-exact',
      );
    case 'lost-ack':
      return fails(
        'NetworkError',
        'exact',
        'not retryable (stream); committed before the answer was lost, so byte-exact',
      );
    case 'bad-crc':
      return fails(
        'InconsistentCrc64',
        'exact',
        'the answer contradicts the bytes sent; the server stored the right bytes',
      );
  }
}

/** createAppendStream: each batch is retried by the stream; a lost answer is recognized by length + CRC chain. */
function expectAppend(p: FaultPlan, batches: number): Expectation {
  const requests = batches + p.times;
  switch (p.fault) {
    case 'reset':
    case 'http500':
    case 'http503':
      return past(p)
        ? ok('the faulted append stored nothing; the batch is resent at the same position', { requests })
        : fails(codeOf(p.fault), 'prefix', 'retries spent; the batches stored before the fault stay, nothing partial');
    case 'timeout':
    case 'lost-ack':
      return past(p)
        ? ok(
            'the retry meets PositionNotEqualToLength; HEAD shows the batch landed (length + CRC chain): not appended twice',
            { requests },
          )
        : fails(
            codeOf(p.fault),
            'prefix',
            'retries spent; the batch whose answer was lost did land: a whole-batch prefix',
          );
    case 'bad-crc':
      return fails(
        'InconsistentCrc64',
        'prefix',
        'the CRC chain disagrees: stop at once; what landed is a whole-batch prefix',
      );
  }
}

type MultipartTarget = 'InitiateMultipartUpload' | 'UploadPart' | 'CompleteMultipartUpload';

/** Operations a fault can target on the multipart paths: a reset needs a body, a wrong CRC a CRC header. */
function multipartTargets(fault: FaultId): MultipartTarget[] {
  if (fault === 'reset') return ['UploadPart'];
  if (fault === 'bad-crc') return ['UploadPart', 'UploadPart', 'CompleteMultipartUpload'];
  return ['InitiateMultipartUpload', 'UploadPart', 'UploadPart', 'CompleteMultipartUpload'];
}

/** MultipartWritable / createUploadStream: parts are in memory (replayable); on failure the upload is aborted. */
function expectMultipart(p: FaultPlan, target: MultipartTarget, nParts: number): Expectation {
  const code = codeOf(p.fault);
  if (target === 'UploadPart') {
    if (p.fault === 'bad-crc')
      return fails(code, 'absent', 'the part answer contradicts the bytes: fail, abort the upload; nothing committed');
    return past(p)
      ? ok('the part is held in memory and resent (a late/lost part answer: re-uploading a part replaces it)', {
          requests: nParts + p.times,
        })
      : fails(code, 'absent', 'retries spent on a part: the upload is aborted, nothing committed');
  }
  if (target === 'InitiateMultipartUpload') {
    if (p.fault === 'timeout' || p.fault === 'lost-ack') {
      // Each lost Initiate answer leaves an upload whose id only the server knows: a protocol limit, not a lib bug.
      return past(p)
        ? ok('Initiate is retried; the upload whose answer was lost is unreachable (lifecycle rules clean those)', {
            orphans: p.times,
            requests: 1 + p.times,
          })
        : fails(code, 'absent', 'retries spent on Initiate; its uploads were never known to the client', {
            orphans: p.retries + 1,
          });
    }
    return past(p)
      ? ok('Initiate is retried; the 5xx created nothing', { requests: 1 + p.times })
      : fails(code, 'absent', 'retries spent on Initiate; nothing created');
  }
  // CompleteMultipartUpload
  if (p.fault === 'bad-crc')
    return fails(
      code,
      'exact',
      'committed, but the answer contradicts the parts: an integrity error; the bytes stored are right',
    );
  if (p.fault === 'timeout' || p.fault === 'lost-ack') {
    return past(p)
      ? ok('Complete committed; its retry meets NoSuchUpload and recognizes the commit (object CRC64 + size)')
      : fails(code, 'exact', 'retries spent, but the first Complete committed: byte-exact');
  }
  return past(p)
    ? ok('Complete is retried; the 5xx committed nothing', { requests: 1 + p.times })
    : fails(code, 'absent', 'retries spent on Complete: the upload is aborted');
}

/** resumableUpload: parts are file ranges (replayable); on failure the upload and checkpoint are KEPT to resume. */
function expectResumable(p: FaultPlan, target: MultipartTarget, nParts: number): Expectation {
  const code = codeOf(p.fault);
  if (target === 'UploadPart') {
    if (p.fault === 'bad-crc')
      return fails(
        code,
        'absent',
        'integrity error on a part; upload + checkpoint kept, the resume re-verifies the part',
        { checkpoint: 'kept' },
      );
    return past(p)
      ? ok('the part is reopened from the file and resent', { requests: nParts + p.times })
      : fails(code, 'absent', 'retries spent on a part; upload + checkpoint kept for the resume', {
          checkpoint: 'kept',
        });
  }
  if (target === 'InitiateMultipartUpload') {
    if (p.fault === 'timeout' || p.fault === 'lost-ack') {
      return past(p)
        ? ok('Initiate is retried; the upload whose answer was lost is unreachable', {
            orphans: p.times,
            requests: 1 + p.times,
          })
        : fails(code, 'absent', 'retries spent on Initiate: no upload id known, so no checkpoint', {
            orphans: p.retries + 1,
            checkpoint: 'gone',
          });
    }
    return past(p)
      ? ok('Initiate is retried; the 5xx created nothing', { requests: 1 + p.times })
      : fails(code, 'absent', 'retries spent on Initiate: nothing created, no checkpoint', { checkpoint: 'gone' });
  }
  if (p.fault === 'bad-crc') {
    return fails(
      code,
      'exact',
      'committed, answer contradicts the parts: integrity error; the upload id is spent so the checkpoint is dropped',
      { checkpoint: 'gone' },
    );
  }
  if (p.fault === 'timeout' || p.fault === 'lost-ack') {
    return past(p)
      ? ok('Complete committed; the retry meets NoSuchUpload and the commit is recognized by CRC64 + size')
      : fails(
          code,
          'exact',
          'retries spent, but the first Complete committed; the checkpoint stays (the resume finds NoSuchUpload and restarts)',
          {
            checkpoint: 'kept',
          },
        );
  }
  return past(p)
    ? ok('Complete is retried; the 5xx committed nothing', { requests: 1 + p.times })
    : fails(code, 'absent', 'retries spent on Complete: upload + checkpoint kept, the resume only completes', {
        checkpoint: 'kept',
      });
}

// ---------------------------------------------------------------------------------------------------------------
// Known bugs (lib/ is not ours to fix: the lead does)

// ---------------------------------------------------------------------------------------------------------------
// Cells

/** One cell of the matrix. */
export interface Cell {
  /** `<path>×<fault>`. */
  readonly id: string;
  readonly path: PathId;
  readonly fault: FaultId;
  /** Why the expected outcomes are right. */
  readonly why: string;
}

/** Why each cell expects what it does (the per-trial detail is in the `expect*` functions above). */
const WHY: Record<PathId, Record<FaultId, string>> = {
  'put-bytes': {
    reset:
      'bytes are replayable: success iff retries ≥ times; else NetworkError and nothing stored (a cut body is never committed).',
    http500: 'the 500 stores nothing and is retried: success iff retries ≥ times; else InternalError, nothing stored.',
    http503:
      'as 500, and the retry waits at least x-oss-qos-delay-time: success iff retries ≥ times; else ServiceUnavailable.',
    timeout:
      'the server stored the object, the answer came late: the retry re-PUTs the same bytes (idempotent) → success; if retries run out, RequestTimeout with the object byte-exact.',
    'lost-ack':
      'as timeout: committed, answer lost, retried → success; if retries run out, NetworkError with the object byte-exact.',
    'bad-crc':
      'an answer whose CRC64 contradicts the bytes sent is an OssIntegrityError, never retried away; the server did store the right bytes, so the object is byte-exact (acceptable: the client cannot trust the write, the data is not corrupt).',
  },
  'put-file': {
    reset:
      'the file range is reopened for every attempt, so it replays like bytes: success iff retries ≥ times; else NetworkError, nothing stored.',
    http500:
      'the 500 stores nothing; the file range is reopened and resent: success iff retries ≥ times; else InternalError, nothing stored.',
    http503:
      'as 500, the retry waiting at least x-oss-qos-delay-time: success iff retries ≥ times; else ServiceUnavailable, nothing stored.',
    timeout:
      'committed before the answer was held back; the reopened range re-PUTs the same bytes → success; else RequestTimeout, object byte-exact.',
    'lost-ack':
      'committed, answer lost; the reopened range re-PUTs the same bytes → success; else NetworkError, object byte-exact.',
    'bad-crc': 'OssIntegrityError, never retried; the server stored the file byte-exact (acceptable, see put-bytes).',
  },
  'put-stream': {
    reset:
      'a stream body cannot be replayed once pulled: NetworkError, source destroyed, nothing stored (the body never ended cleanly). ' +
      'Exception, in every put-stream cell: an empty stream is known empty before the request (its first chunk is read first) and is sent as an empty, replayable body, so it is retried like bytes.',
    http500:
      'the server refuses before storing; the half-sent stream cannot be replayed: InternalError, nothing stored.',
    http503:
      'the server refuses before storing (x-oss-qos-delay-time is moot: a half-sent stream cannot be replayed): ServiceUnavailable, nothing stored.',
    timeout:
      'the whole body had arrived and was committed before the answer was held back: RequestTimeout, object byte-exact.',
    'lost-ack': 'committed, then the answer was lost: NetworkError (not retryable), object byte-exact.',
    'bad-crc': 'OssIntegrityError; the server stored the right bytes (byte-exact).',
  },
  'append-stream': {
    reset:
      'the faulted append stores nothing and the batch is retried at the same position: success iff retries ≥ times; else NetworkError and a whole-batch prefix.',
    http500:
      'the 500 appends nothing; the batch is resent at the same position: success iff retries ≥ times; else InternalError and a whole-batch prefix.',
    http503:
      'the 503 appends nothing; the batch is resent after at least x-oss-qos-delay-time (see append-stream.ts): success iff retries ≥ times; else ServiceUnavailable and a whole-batch prefix.',
    timeout:
      'the append landed but its answer was late: the retry meets PositionNotEqualToLength, HEAD proves the batch landed (length + CRC chain), nothing is appended twice → success; else RequestTimeout and a prefix.',
    'lost-ack': 'as timeout with a lost answer: success without duplicating the batch; else NetworkError and a prefix.',
    'bad-crc':
      'the whole-object CRC chain disagrees: OssIntegrityError at once; the object is a whole-batch prefix with a valid CRC64.',
  },
  multipart: {
    reset:
      'a part is held in memory and resent: success iff retries ≥ times; else NetworkError, the upload aborted (no upload left), nothing committed.',
    http500:
      'on a part, Initiate or Complete: nothing done by the 500, retried: success iff retries ≥ times; else InternalError, upload aborted.',
    http503:
      'on a part, Initiate or Complete: the 503 did nothing, retried after x-oss-qos-delay-time: success iff retries ≥ times; else ServiceUnavailable, upload aborted.',
    timeout:
      'a part: replaced by its retry → success. Initiate: retried → success, but the first upload is an orphan only a lifecycle rule can clean (protocol limit). Complete: committed; its retry meets NoSuchUpload, which is recognized as the commit (HEAD: CRC64 + size).',
    'lost-ack':
      'a part: stored, answer lost, the retry replaces it → success. Initiate: retried → success with an orphaned upload (protocol limit). Complete: committed, answer lost; the retry meets NoSuchUpload, which is recognized as the commit (HEAD: CRC64 + size). Retries spent: NetworkError; the object is absent (part/Initiate) or byte-exact (Complete).',
    'bad-crc':
      'a part: OssIntegrityError, upload aborted, nothing committed. Complete: committed with the right bytes, but OssIntegrityError (byte-exact object; acceptable).',
  },
  resumable: {
    reset:
      'a part is reopened from the file: success iff retries ≥ times; else NetworkError with upload + checkpoint kept, and a fault-free second run finishes byte-exact.',
    http500: 'as reset with InternalError (a failed Initiate leaves no checkpoint; a failed Complete keeps it).',
    http503:
      'the 503 did nothing; retried after x-oss-qos-delay-time: success iff retries ≥ times; else ServiceUnavailable with the checkpoint kept (none after a failed Initiate), and the second run finishes.',
    timeout:
      'a part is re-sent; Initiate: retried, the first upload orphaned (protocol limit); Complete: its retry meets NoSuchUpload and resumableUpload recognizes the commit → success.',
    'lost-ack':
      'a part: stored, answer lost, re-sent from the file → success. Initiate: retried → success with an orphaned upload. Complete: committed, answer lost; the retry meets NoSuchUpload and the commit is recognized by CRC64 + size → success. Retries spent: NetworkError with checkpoint kept (Complete: the resume finds NoSuchUpload and uploads again).',
    'bad-crc':
      'a part: OssIntegrityError, checkpoint kept, the resume re-verifies the stored part against the file. Complete: committed (byte-exact), OssIntegrityError, checkpoint dropped (the upload id is spent).',
  },
};

/** Every cell, path-major. */
export const CELLS: readonly Cell[] = PATHS.flatMap((path) =>
  FAULTS.map((fault) => {
    const id = `${path}×${fault}`;
    return Object.freeze({ id, path, fault, why: WHY[path][fault] });
  }),
);

// ---------------------------------------------------------------------------------------------------------------
// Environment

/** A server (with the matrix's limits), a checking client and a scratch directory; one trial at a time. */
export class MatrixEnv {
  readonly server: OssServer;
  /** A fault-free client for reading back and listing (default timeouts, fast retries). */
  readonly checker: Bucket;
  /** Files and checkpoint stores of the trials. */
  readonly dir: string;
  #trials = 0;

  private constructor(server: OssServer, dir: string) {
    this.server = server;
    this.dir = dir;
    this.checker = clientFor(server, { limits: MATRIX_LIMITS });
  }

  static async start(): Promise<MatrixEnv> {
    const server = await startServer({ limits: MATRIX_LIMITS });
    return new MatrixEnv(server, await mkdtemp(join(tmpdir(), 'oss-fault-matrix-')));
  }

  /** A fresh number per trial: keys and files never collide, even when a seed is run twice. */
  nextTrial(): number {
    return ++this.#trials;
  }

  async close(): Promise<void> {
    await this.checker.close();
    await this.server.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Trials

/** What one trial did and how it was judged. */
export interface TrialResult {
  cell: string;
  seed: number;
  pass: boolean;
  outcome: 'success' | 'error' | 'hung';
  /** Why it failed (or the expectation that held). */
  reason: string;
  /** The drawn parameters, for reading a failure. */
  params: string;
  ms: number;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** What a path runner hands to the judge. */
interface Run {
  expected: Expectation;
  outcome: Outcome<unknown>;
  /** The object's full intended content (append: the pre-existing prefix + the data). */
  content: Buffer;
  /** The operation the faults were installed on. */
  targetOp: string;
  /** Milliseconds the upload call took. */
  elapsedMs: number;
  /** Stream paths: the source and the sink, and the sink's event counts. */
  streams?: { source: Readable; sink: Writable; events: { finish: number; error: number } };
  /** Path-specific check of a successful result; returns a failure reason. */
  checkResult(value: unknown): string | undefined;
  /** Append: valid stored lengths after an error (whole batches). */
  prefixLengths?: (length: number) => boolean;
  /** Resumable: the checks after an error (checkpoint, upload, second run). */
  afterError?: () => Promise<string | undefined>;
  /** Resumable: the checks after success (checkpoint removed). */
  afterSuccess?: () => Promise<string | undefined>;
}

class Trial {
  readonly rng: Rng;
  readonly plan: FaultPlan;
  readonly key: string;
  readonly uploader: Bucket;
  readonly params: string[] = [];
  rulesAdded = 0;

  constructor(
    readonly env: MatrixEnv,
    readonly cell: Cell,
    readonly seed: number,
    readonly n: number,
  ) {
    this.rng = new Rng(seed);
    this.plan = planFault(cell.fault, this.rng);
    this.key = `fm/${cell.path}/${cell.fault}/${seed}-${n}`;
    this.uploader = clientFor(env.server, {
      limits: MATRIX_LIMITS,
      retries: this.plan.retries,
      ...(this.plan.timeoutMs === undefined ? {} : { timeoutMs: this.plan.timeoutMs }),
    });
    const p = this.plan;
    this.note(`times=${p.times} retries=${p.retries}`);
    if (p.fault === 'timeout') this.note(`timeoutMs=${p.timeoutMs} delayMs=${p.delayMs}`);
    if (p.fault === 'http503') this.note(`qosMs=${p.qosMs}`);
  }

  note(s: string): void {
    this.params.push(s);
  }

  /** Installs one rule per faulted attempt (`times: 1` each, so `pending` tells how many fired). */
  inject(op: string, partNumber: number | undefined, bodySize: number): void {
    const actions = actionsFor(this.plan, this.rng, bodySize);
    for (const action of actions)
      this.env.server.faults.add({ op, ...(partNumber === undefined ? {} : { partNumber }), times: 1, action });
    this.rulesAdded += actions.length;
    this.note(
      `fault ${op}${partNumber === undefined ? '' : `#${partNumber}`} ${actions.map((a) => (a.type === 'reset' ? `reset@${a.afterBytes}` : a.type)).join(',')}`,
    );
  }

  get fired(): number {
    return this.rulesAdded - this.env.server.faults.pending;
  }

  /** A file in the scratch directory. */
  file(name: string): string {
    return join(this.env.dir, `${this.n}-${name}`);
  }
}

async function capture<T>(fn: () => Promise<T>): Promise<{ outcome: Outcome<T>; elapsedMs: number }> {
  const t0 = performance.now();
  let outcome: Outcome<T>;
  try {
    outcome = { ok: true, value: await fn() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  return { outcome, elapsedMs: performance.now() - t0 };
}

/** Data sizes of the single-request paths: sometimes empty, mostly 1 B..300 KiB (log-uniform). */
function putSize(rng: Rng): number {
  return rng.chance(0.04) ? 0 : rng.logInt(1, 300 * KiB);
}

function countEvents(sink: Writable): { finish: number; error: number } {
  const events = { finish: 0, error: 0 };
  sink.on('finish', () => events.finish++);
  sink.on('error', () => events.error++);
  return events;
}

function checkPutResult(content: Buffer) {
  return (value: unknown): string | undefined => {
    const r = value as PutObjectResult | undefined;
    if (r === undefined) return 'no result';
    if (r.size !== content.length) return `result.size ${r.size} ≠ ${content.length}`;
    if (r.crc64 !== crc64(content)) return `result.crc64 ${r.crc64} ≠ ${crc64(content)}`;
    return undefined;
  };
}

async function runPutBytes(t: Trial): Promise<Run> {
  const size = putSize(t.rng);
  const data = t.rng.bytes(size);
  t.note(`size=${size}`);
  t.inject('PutObject', undefined, size);
  const { outcome, elapsedMs } = await capture(() => t.uploader.putObject(t.key, data));
  return {
    expected: expectPut(t.plan, 1),
    outcome,
    content: data,
    targetOp: 'PutObject',
    elapsedMs,
    checkResult: checkPutResult(data),
  };
}

async function runPutFile(t: Trial): Promise<Run> {
  const size = putSize(t.rng);
  const data = t.rng.bytes(size);
  const path = t.file('put.bin');
  await writeFile(path, data);
  t.note(`size=${size}`);
  t.inject('PutObject', undefined, size);
  const { outcome, elapsedMs } = await capture(() => t.uploader.putObjectFromFile(t.key, path));
  return {
    expected: expectPut(t.plan, 1),
    outcome,
    content: data,
    targetOp: 'PutObject',
    elapsedMs,
    checkResult: checkPutResult(data),
  };
}

async function runPutStream(t: Trial): Promise<Run> {
  const size = putSize(t.rng);
  const data = t.rng.bytes(size);
  const sizes = t.rng.chunkSizes();
  const declared = t.rng.chance(0.5);
  t.note(`size=${size} chunks=[${sizes.join(',')}] contentLength=${declared}`);
  t.inject('PutObject', undefined, size);
  const source = Readable.from(chunked(data, sizes));
  const sink = createPutStream(t.uploader, t.key, declared ? { contentLength: size } : {});
  const events = countEvents(sink);
  const { outcome, elapsedMs } = await capture(() => pipeline(source, sink).then(() => sink.result));
  return {
    // An empty source is sent as an empty replayable body (prepareBody reads the first chunk first): it acts as bytes.
    expected: size === 0 ? expectPut(t.plan, 1) : expectPutStream(t.plan),
    outcome,
    content: data,
    targetOp: 'PutObject',
    elapsedMs,
    streams: { source, sink, events },
    checkResult: checkPutResult(data),
  };
}

async function runAppendStream(t: Trial): Promise<Run> {
  const size = t.rng.logInt(1, 200 * KiB);
  const data = t.rng.bytes(size);
  // Batches of at least size/40 keep the number of appends (and the trial's time) bounded.
  const flushBytes = t.rng.logInt(Math.max(KiB, Math.ceil(size / 40)), 64 * KiB);
  const batches = Math.ceil(size / flushBytes);
  const pre = t.rng.chance(0.3) ? t.rng.bytes(t.rng.int(1, 4 * KiB)) : Buffer.alloc(0);
  const sizes = t.rng.chunkSizes();
  const k = t.rng.int(0, batches - 1);
  t.note(
    `size=${size} pre=${pre.length} flushBytes=${flushBytes} batches=${batches} faultedBatch=${k} chunks=[${sizes.join(',')}]`,
  );
  if (pre.length > 0) await t.env.checker.appendObject(t.key, 0, pre);
  const batchSize = k === batches - 1 ? size - k * flushBytes : flushBytes;
  // The k-th batch is the next append once k batches landed: the rule goes in from onProgress, before it is sent.
  let landed = 0;
  if (k === 0) t.inject('AppendObject', undefined, batchSize);
  const source = Readable.from(chunked(data, sizes));
  // No timer (flushIntervalMs 0): batches are exactly flushBytes, so the faulted batch is the one drawn.
  const sink = createAppendStream(t.uploader, t.key, {
    flushBytes,
    flushIntervalMs: 0,
    // The append stream has its own retry schedule (10 retries over 24-48 s by default): the plan's, fast, here.
    retries: t.plan.retries,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 20,
    onProgress: () => {
      if (++landed === k) t.inject('AppendObject', undefined, batchSize);
    },
  });
  const events = countEvents(sink);
  const content = Buffer.concat([pre, data]);
  const { outcome, elapsedMs } = await capture(() => pipeline(source, sink).then(() => sink.result));
  const expected = expectAppend(t.plan, batches);
  // The pre-existing prefix was one AppendObject of its own.
  if (expected.requests !== undefined && pre.length > 0) expected.requests += 1;
  return {
    expected,
    outcome,
    content,
    targetOp: 'AppendObject',
    elapsedMs,
    streams: { source, sink, events },
    checkResult: (value) => {
      const r = value as AppendStreamResult | undefined;
      if (r === undefined) return 'no result';
      if (r.size !== size) return `result.size ${r.size} ≠ ${size}`;
      if (r.nextPosition !== content.length) return `result.nextPosition ${r.nextPosition} ≠ ${content.length}`;
      if (r.crc64 !== crc64(content)) return `result.crc64 ${r.crc64} ≠ ${crc64(content)}`;
      if (r.appends !== batches) return `result.appends ${r.appends} ≠ ${batches}`;
      return undefined;
    },
    prefixLengths: (len) => len === content.length || (len >= pre.length && (len - pre.length) % flushBytes === 0),
  };
}

/** Part size, part count and a size that makes exactly that many parts. */
function multipartShape(rng: Rng): { partSize: number; nParts: number; size: number } {
  const partSize = rng.int(KiB, 32 * KiB);
  const nParts = rng.int(2, 10);
  return { partSize, nParts, size: partSize * (nParts - 1) + rng.int(1, partSize) };
}

function pickTarget(
  t: Trial,
  nParts: number,
  partSize: number,
  size: number,
): { op: MultipartTarget; partNumber: number | undefined; bodySize: number } {
  const op = t.rng.pick(multipartTargets(t.plan.fault));
  if (op !== 'UploadPart') return { op, partNumber: undefined, bodySize: 0 };
  const partNumber = t.rng.int(1, nParts);
  return { op, partNumber, bodySize: partNumber < nParts ? partSize : size - partSize * (nParts - 1) };
}

async function runMultipart(t: Trial): Promise<Run> {
  const { partSize, nParts, size } = multipartShape(t.rng);
  const data = t.rng.bytes(size);
  const sizes = t.rng.chunkSizes();
  const concurrency = t.rng.int(1, 4);
  const viaUploadStream = t.rng.chance(0.5);
  const declared = t.rng.chance(0.3);
  const target = pickTarget(t, nParts, partSize, size);
  t.note(
    `${viaUploadStream ? 'createUploadStream' : 'MultipartWritable'} size=${size} partSize=${partSize} parts=${nParts} concurrency=${concurrency} contentLength=${declared} chunks=[${sizes.join(',')}]`,
  );
  t.inject(target.op, target.partNumber, target.bodySize);
  const opts = { partSize, concurrency, ...(declared ? { contentLength: size } : {}) };
  const sink = viaUploadStream
    ? createUploadStream(t.uploader, t.key, opts)
    : new MultipartWritable(t.uploader, t.key, opts);
  const source = Readable.from(chunked(data, sizes));
  const events = countEvents(sink);
  const { outcome, elapsedMs } = await capture(() => pipeline(source, sink).then(() => sink.result));
  return {
    expected: expectMultipart(t.plan, target.op, nParts),
    outcome,
    content: data,
    targetOp: target.op,
    elapsedMs,
    streams: { source, sink, events },
    checkResult: (value) => checkMultipartResult(value as MultipartResult | undefined, data, nParts),
  };
}

function checkMultipartResult(r: MultipartResult | undefined, data: Buffer, nParts: number): string | undefined {
  if (r === undefined) return 'no result';
  if (r.mode !== 'multipart') return `result.mode ${r.mode} ≠ multipart`;
  if (r.size !== data.length) return `result.size ${r.size} ≠ ${data.length}`;
  if (r.crc64 !== crc64(data)) return `result.crc64 ${r.crc64} ≠ ${crc64(data)}`;
  if (r.parts?.length !== nParts) return `result.parts ${r.parts?.length} ≠ ${nParts}`;
  return undefined;
}

async function runResumable(t: Trial): Promise<Run> {
  const { partSize, nParts, size } = multipartShape(t.rng);
  const data = t.rng.bytes(size);
  const parallel = t.rng.int(1, 4);
  const target = pickTarget(t, nParts, partSize, size);
  const path = t.file('resumable.bin');
  await writeFile(path, data);
  const store = new ResumableStore({ root: t.env.dir, dir: `ckpt-${t.n}` });
  const opts = { store, partSize, parallel, multipartThreshold: t.rng.int(0, partSize) };
  if (determinePartSize(size, partSize, CLIENT_LIMITS) !== partSize)
    throw new Error('trial setup: unexpected part size');
  t.note(`size=${size} partSize=${partSize} parts=${nParts} parallel=${parallel}`);
  t.inject(target.op, target.partNumber, target.bodySize);
  const { outcome, elapsedMs } = await capture(() => resumableUpload(t.uploader, t.key, path, opts));
  const expected = expectResumable(t.plan, target.op, nParts);
  const bucket = t.env.checker.name;
  return {
    expected,
    outcome,
    content: data,
    targetOp: target.op,
    elapsedMs,
    checkResult: (value) => {
      const r = value as ResumableUploadResult | undefined;
      return (
        checkMultipartResult(r, data, nParts) ??
        (r!.resumedBytes === 0 ? undefined : `resumedBytes ${r!.resumedBytes} ≠ 0`)
      );
    },
    afterSuccess: async () =>
      (await store.load(bucket, t.key, path)) === undefined ? undefined : 'checkpoint left after success',
    afterError: async () => {
      const record = await store.load(bucket, t.key, path);
      const uploads = (await t.env.checker.listMultipartUploads({ prefix: t.key })).filter((u) => u.key === t.key);
      if (expected.checkpoint === 'kept') {
        if (record === undefined) return 'checkpoint lost after a resumable failure';
        const live = uploads.some((u) => u.uploadId === record.uploadId);
        const stored = await readObject(t.env.checker, t.key);
        // Only a Complete whose answer was lost may leave a checkpoint whose upload is gone: it was committed.
        if (!live && !(stored.bytes !== undefined && stored.bytes.equals(data)))
          return `checkpoint names upload ${record.uploadId}, which is gone`;
        if (live) {
          const listed = await t.env.checker.listParts(t.key, record.uploadId);
          for (const p of record.parts) {
            const l = listed.find((x) => x.partNumber === p.partNumber);
            if (l === undefined || l.etag !== p.etag || l.size !== p.size)
              return `checkpoint part ${p.partNumber} is not stored as recorded`;
          }
        }
        if (uploads.length !== (live ? 1 : 0) + expected.orphans)
          return `${uploads.length} uploads for the key, expected ${(live ? 1 : 0) + expected.orphans}`;
      } else {
        if (record !== undefined) return 'a checkpoint was left where none should be';
        if (uploads.length !== expected.orphans)
          return `${uploads.length} uploads for the key, expected ${expected.orphans} (orphans)`;
      }
      // The fault is gone: a second run must finish byte-exact, from where the first stopped.
      t.env.server.faults.clear();
      const resumer = clientFor(t.env.server, { limits: MATRIX_LIMITS });
      try {
        const recorded = record?.parts.reduce((s, p) => s + p.size, 0) ?? 0;
        const again = await resumableUpload(resumer, t.key, path, opts).catch((err: unknown) => err as Error);
        if (again instanceof Error) return `second run failed: ${describeError(again)}`;
        const bad = checkMultipartResult(again, data, nParts);
        if (bad !== undefined) return `second run: ${bad}`;
        const uploadLive = record !== undefined && uploads.some((u) => u.uploadId === record.uploadId);
        if (uploadLive && again.resumedBytes < recorded)
          return `second run resumed ${again.resumedBytes} bytes, the checkpoint had ${recorded}`;
        const back = await readObject(t.env.checker, t.key);
        if (back.error !== undefined) return `second run: read back failed: ${back.error}`;
        if (back.bytes === undefined || !back.bytes.equals(data)) return 'second run: object not byte-exact';
        if ((await store.load(bucket, t.key, path)) !== undefined) return 'second run: checkpoint left';
        const left = (await t.env.checker.listMultipartUploads({ prefix: t.key })).filter(
          (u) => u.key === t.key,
        ).length;
        if (left !== expected.orphans)
          return `second run: ${left} uploads left, expected ${expected.orphans} (orphans)`;
        return undefined;
      } finally {
        await resumer.close();
      }
    },
  };
}

const RUNNERS: Record<PathId, (t: Trial) => Promise<Run>> = {
  'put-bytes': runPutBytes,
  'put-file': runPutFile,
  'put-stream': runPutStream,
  'append-stream': runAppendStream,
  multipart: runMultipart,
  resumable: runResumable,
};

// ---------------------------------------------------------------------------------------------------------------
// Judging

/** The object as stored: bytes (CRC64-verified by GetObject), absent, or the read's error. */
async function readObject(bucket: Bucket, key: string): Promise<{ bytes?: Buffer; error?: string }> {
  try {
    const r = await bucket.getObject(key);
    return { bytes: await buffer(r.body) };
  } catch (err) {
    if (err instanceof OssServiceError && err.status === 404) return {};
    return { error: describeError(err) };
  }
}

/** `Class code: message` of an error, for reasons. */
export function describeError(err: unknown): string {
  if (err instanceof OssError) return `${err.constructor.name} ${err.code} (${err.status}): ${err.message}`;
  if (err instanceof Error) return `${err.constructor.name} ${(err as { code?: string }).code ?? ''}: ${err.message}`;
  return String(err);
}

/** Returns a failure reason, or `undefined` when the trial ended as expected. */
async function judge(t: Trial, run: Run): Promise<string | undefined> {
  const { expected: e, outcome } = run;
  // Let any late 'error'/'finish' of the sink surface before counting them.
  await new Promise((r) => setImmediate(r));
  if (run.streams !== undefined) {
    const { finish, error } = run.streams.events;
    if (finish > 0 && error > 0) return `the sink emitted both 'finish' and 'error'`;
    if (error > 1) return `the sink emitted 'error' ${error} times`;
  }
  if (t.fired < 1) return 'the fault never fired: the trial tested nothing';

  const uploads = (await t.env.checker.listMultipartUploads({ prefix: t.key })).filter((u) => u.key === t.key);
  if (e.outcome === 'success') {
    if (!outcome.ok) {
      return `expected success, got ${describeError(outcome.error)}`;
    }
    const bad = run.checkResult(outcome.value);
    if (bad !== undefined) return bad;
    if (run.streams !== undefined && run.streams.events.finish !== 1)
      return `the sink emitted 'finish' ${run.streams.events.finish} times`;
    const back = await readObject(t.env.checker, t.key);
    if (back.error !== undefined) return `read back failed: ${back.error}`;
    if (back.bytes === undefined) return 'success, but the object is absent';
    if (!back.bytes.equals(run.content))
      return `success, but the object is not byte-exact (${back.bytes.length} bytes, expected ${run.content.length})`;
    if (e.requests !== undefined) {
      const n = t.env.server.stats.op(run.targetOp).requests;
      if (n !== e.requests) return `${n} ${run.targetOp} requests, expected ${e.requests}`;
    }
    if (t.plan.fault === 'http503') {
      const floor = t.plan.qosMs * t.plan.times;
      if (run.elapsedMs < floor)
        return `succeeded after ${Math.round(run.elapsedMs)} ms, but ${t.plan.times} × x-oss-qos-delay-time ${t.plan.qosMs} ms were to be waited`;
    }
    if (uploads.length !== e.orphans)
      return `${uploads.length} multipart uploads left for the key, expected ${e.orphans}`;
    const after = await run.afterSuccess?.();
    if (after !== undefined) return after;
    return undefined;
  }

  // Outcome: error
  if (outcome.ok) return `expected ${e.codes.join('|')}, but the upload succeeded`;
  const err = outcome.error;
  if (!(err instanceof OssError)) return `expected an OssError ${e.codes.join('|')}, got ${describeError(err)}`;
  if (!e.codes.includes(err.code)) return `expected ${e.codes.join('|')}, got ${describeError(err)}`;
  if (err.code === 'InconsistentCrc64' && !(err instanceof OssIntegrityError))
    return `InconsistentCrc64 is not an OssIntegrityError: ${describeError(err)}`;
  if (
    (err.code === 'InternalError' || err.code === 'ServiceUnavailable') &&
    !(err instanceof OssServiceError && err.status >= 500)
  ) {
    return `a 5xx is not an OssServiceError with its status: ${describeError(err)}`;
  }
  if (run.streams !== undefined) {
    if (!run.streams.source.destroyed) return 'the source was not destroyed';
    if (!run.streams.sink.destroyed) return 'the sink was not destroyed';
    if (run.streams.events.finish !== 0) return `'finish' after a failure`;
  }
  const back = await readObject(t.env.checker, t.key);
  if (back.error !== undefined) return `read back after the failure failed (corrupt object?): ${back.error}`;
  const stored = back.bytes;
  switch (e.stored) {
    case 'absent':
      if (stored !== undefined)
        return `the failed upload left an object of ${stored.length} bytes${stored.equals(run.content) ? ' (byte-exact)' : ' (NOT byte-exact)'}`;
      break;
    case 'exact':
      if (stored === undefined)
        return 'the object should be stored byte-exact (committed before the fault), but it is absent';
      if (!stored.equals(run.content)) return 'the object is not byte-exact';
      break;
    case 'prefix': {
      const len = stored?.length ?? 0;
      if (stored !== undefined && !stored.equals(run.content.subarray(0, len)))
        return `the object (${len} bytes) is not a prefix of the data`;
      if (run.prefixLengths !== undefined && !run.prefixLengths(len))
        return `the object's length ${len} is not on a batch boundary`;
      break;
    }
  }
  if (run.afterError !== undefined) return run.afterError();
  if (uploads.length !== e.orphans)
    return `${uploads.length} multipart uploads left for the key after the failure, expected ${e.orphans}`;
  return undefined;
}

/**
 * Runs one trial of `cell` with `seed` on `env` (one trial at a time per env) and judges it. Never throws: a
 * setup error or a hang is a failed trial.
 */
export async function runTrial(env: MatrixEnv, cell: Cell, seed: number): Promise<TrialResult> {
  const t0 = performance.now();
  env.server.faults.clear();
  env.server.stats.reset();
  const t = new Trial(env, cell, seed, env.nextTrial());
  let timer: NodeJS.Timeout | undefined;
  let outcome: TrialResult['outcome'] = 'hung';
  let reason: string | undefined;
  let expectation: Expectation | undefined;
  try {
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`hung: no verdict after ${TRIAL_TIMEOUT_MS} ms`)), TRIAL_TIMEOUT_MS);
    });
    reason = await Promise.race([
      hang,
      (async () => {
        const run = await RUNNERS[cell.path](t);
        expectation = run.expected;
        outcome = run.outcome.ok ? 'success' : 'error';
        t.note(
          `expect ${run.expected.outcome}${run.expected.outcome === 'error' ? ` ${run.expected.codes.join('|')}/${run.expected.stored}` : ''}`,
        );
        return judge(t, run);
      })(),
    ]);
  } catch (err) {
    reason =
      err instanceof Error && err.message.startsWith('hung') ? err.message : `trial threw: ${describeError(err)}`;
  } finally {
    clearTimeout(timer);
    env.server.faults.clear();
    await cleanup(env, t);
  }
  const exp = expectation as Expectation | undefined;
  return {
    cell: cell.id,
    seed,
    pass: reason === undefined,
    outcome,
    reason: reason ?? exp?.why ?? '',
    params: t.params.join('; '),
    ms: Math.round(performance.now() - t0),
  };
}

/** Aborts whatever the trial left (orphans, kept uploads) and closes its client, without letting a hang block the run. */
async function cleanup(env: MatrixEnv, t: Trial): Promise<void> {
  const work = (async () => {
    const uploads = await env.checker.listMultipartUploads({ prefix: t.key }).catch(() => []);
    for (const u of uploads) await env.checker.abortMultipartUpload(u.key, u.uploadId).catch(() => undefined);
    await t.uploader.close();
  })();
  await Promise.race([work, new Promise((r) => setTimeout(r, 5_000).unref())]);
}
