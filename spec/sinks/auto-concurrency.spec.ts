// `concurrency: 'auto'` end to end: the sinks and resumableUpload against the local server behind a link whose
// per-connection cap is the limit (spec/support/link-model.ts). What is asserted is what the server side saw (the
// most connections the link carried at once: each part in flight holds one), never a duration.
import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  Bucket,
  Auth,
  createUploadStream,
  crc64,
  MultipartWritable,
  OssAbortError,
  OssArgumentError,
  resumableUpload,
  ResumableStore,
} from 'oss-stream';
import { startLinkProxy, type LinkProxy } from '../support/link-model.js';
import { BUCKET, CRED, download, useLocalOss } from '../support/local-oss.js';
import { pattern } from '../support/bytes.js';
import { AUTO_START } from '../../lib/parts/concurrency-tuner.js';
import { RETRY_CHANNEL } from '../../lib/core/http.js';
import { eventually } from '../support/eventually.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const MB = 1e6;
const limits = { minPartSize: 16 * KiB };

describe('sinks: concurrency auto', function () {
  this.timeout(60_000);
  const oss = useLocalOss({ limits });
  let proxy: LinkProxy;
  let linked: Bucket;

  before(async () => {
    // 1 MB/s a connection and no host cap: every part added in flight adds throughput, up to the memory budget.
    proxy = await startLinkProxy(oss.server.endpoint, {
      rttMs: 2,
      perConnectionBytesPerSecond: 1 * MB,
      aggregateBytesPerSecond: Infinity,
      queueBytes: 64 * KiB,
    });
    linked = new Bucket(new Auth(CRED.accessKeyId, CRED.accessKeySecret), proxy.endpoint, BUCKET, {
      limits,
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 5,
    });
  });
  after(async () => {
    await linked.close();
    await proxy.close();
  });

  async function openUploads(): Promise<number> {
    return (await oss.bucket.listMultipartUploads()).length;
  }

  it('grows past its start where the per-connection cap limits, within maxMemory, and stores the stream whole', async () => {
    const data = pattern(24 * MiB, 3);
    const partSize = 128 * KiB;
    const maxMemory = 8 * MiB; // 64 part buffers: 63 in flight and one filling
    let peakInFlight = 0;
    let peakLimit = 0;
    const sink = createUploadStream(linked, 'auto/grow.bin', {
      partSize,
      concurrency: 'auto',
      maxMemory,
      onProgress: () => {
        peakInFlight = Math.max(peakInFlight, sink.partsInFlight);
        peakLimit = Math.max(peakLimit, sink.concurrencyLimit);
      },
    });
    await pipeline(Readable.from([data]), sink);
    expect(sink.result!.crc64).to.equal(crc64(data));
    expect((await download(oss.bucket, 'auto/grow.bin')).equals(data)).to.equal(true);
    // The server saw more parts at once than the 16 an auto window starts with…
    expect(oss.server.stats.peakInFlight('UploadPart'), 'parts at the server at once').to.be.above(AUTO_START);
    expect(peakInFlight).to.be.above(AUTO_START);
    // …and never more part buffers than maxMemory holds.
    expect(peakLimit).to.be.at.most(maxMemory / partSize - 1);
    expect((peakInFlight + 1) * partSize).to.be.at.most(maxMemory);
  });

  it('halves on 503 with x-oss-qos-delay-time, and the object is still whole', async () => {
    const data = pattern(3 * MiB, 5);
    oss.server.faults.add({
      op: 'UploadPart',
      times: 2,
      action: { type: 'error', status: 503, qosDelayTimeMs: 5 },
    });
    const limitsSeen: number[] = [];
    const sink = new MultipartWritable(oss.bucket, 'auto/throttled.bin', {
      partSize: 128 * KiB,
      concurrency: 'auto',
      onProgress: () => limitsSeen.push(sink.concurrencyLimit),
    });
    // Also right after each throttled answer (published after the window was halved): under load the window could
    // grow back by a part before the next progress call, and progress alone then never saw the halved limit.
    const onRetry = (): void => void limitsSeen.push(sink.concurrencyLimit);
    subscribe(RETRY_CHANNEL, onRetry);
    try {
      await pipeline(Readable.from([data]), sink);
    } finally {
      unsubscribe(RETRY_CHANNEL, onRetry);
    }
    expect(oss.server.stats.op('UploadPart').errors).to.be.at.least(2);
    // Two throttled answers: the start halved twice.
    expect(sink.concurrencyLimit, `limits seen: ${[...new Set(limitsSeen)].join(', ')}`).to.be.below(AUTO_START);
    expect(Math.min(...limitsSeen)).to.be.at.most(AUTO_START / 4);
    expect((await download(oss.bucket, 'auto/throttled.bin')).equals(data)).to.equal(true);
  });

  it('an abort while the window is growing cancels every part and aborts the upload', async () => {
    const ac = new AbortController();
    const sink = createUploadStream(linked, 'auto/abort.bin', {
      partSize: 128 * KiB,
      concurrency: 'auto',
      maxMemory: 8 * MiB,
      signal: ac.signal,
    });
    const done = pipeline(Readable.from([pattern(32 * MiB)]), sink).then(
      () => undefined,
      (e: unknown) => e,
    );
    await eventually(() => sink.partsInFlight > AUTO_START, { timeoutMs: 20_000 });
    ac.abort();
    const err = await done;
    expect(err).to.be.instanceOf(OssAbortError);
    expect(sink.partsInFlight).to.equal(0);
    expect(await openUploads()).to.equal(0);
  });

  it('resumableUpload grows past its start too', async () => {
    const path = join(oss.dir, 'auto-file.bin');
    const data = pattern(16 * MiB, 9);
    await writeFile(path, data);
    // A link of its own: the connections the other cases keep alive would count in its peak.
    const link = await startLinkProxy(oss.server.endpoint, {
      rttMs: 2,
      perConnectionBytesPerSecond: 1 * MB,
      aggregateBytesPerSecond: Infinity,
      queueBytes: 64 * KiB,
    });
    const client = oss.client({ limits });
    const own = new Bucket(new Auth(CRED.accessKeyId, CRED.accessKeySecret), link.endpoint, BUCKET, { limits });
    const r = await resumableUpload(own, 'auto/file.bin', path, {
      store: new ResumableStore({ root: oss.dir, dir: 'checkpoints' }),
      partSize: 128 * KiB,
      multipartThreshold: 128 * KiB,
      concurrency: 'auto',
      maxMemory: 8 * MiB,
    });
    await own.close();
    await link.close();
    expect(r.crc64).to.equal(crc64(data));
    expect((await download(client, 'auto/file.bin')).equals(data)).to.equal(true);
    const parts = oss.server.stats.peakInFlight('UploadPart');
    expect(parts, 'parts at the server at once').to.be.above(AUTO_START);
    expect(parts).to.be.at.most((8 * MiB) / (128 * KiB) - 1);
  });

  it('rejects a maxMemory that cannot hold two parts, and a concurrency that is neither a number nor auto', () => {
    expect(() => createUploadStream(oss.bucket, 'auto/x', { partSize: 1 * MiB, concurrency: 'auto', maxMemory: MiB }))
      .to.throw(OssArgumentError)
      .with.property('argument', 'maxMemory');
    expect(() => createUploadStream(oss.bucket, 'auto/x', { concurrency: 'fast' as 'auto' }))
      .to.throw(OssArgumentError)
      .with.property('argument', 'concurrency');
  });
});
