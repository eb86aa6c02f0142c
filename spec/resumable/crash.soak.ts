/**
 * The long crash scenario (256 MiB, 20 kills), outside the regular suite (`spec/**\/*.spec.ts` does not match it):
 *
 *   npx mocha spec/resumable/crash.soak.ts
 *
 * CRASH_SEED=<n> replays another kill pattern; CRASH_LOG=1 prints each kill.
 */
import { expect } from 'chai';
import { runCrashScenario } from './crash-harness.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('resumable/crash soak: 256 MiB, 20 SIGKILLs, then resume', function () {
  this.timeout(600_000);

  it('finishes byte-exact and CRC-verified, re-sending at most the parts in flight per kill', async () => {
    const partSize = 256 * KiB;
    const parallel = 4;
    const r = await runCrashScenario({
      size: 256 * MiB,
      kills: 20,
      partSize,
      parallel,
      bytesPerSecond: 20_000_000,
      seed: Number(process.env.CRASH_SEED ?? 0x50a4),
      log: process.env.CRASH_LOG === undefined ? undefined : console.log,
    });
    expect(r.runs.length).to.equal(20);
    expect(r.final).to.include({ mode: 'multipart', size: 256 * MiB, parts: 1024 });
    expect(r.final.crc64).to.equal(r.fileCrc64);
    expect(r.objectCrc64).to.equal(r.fileCrc64);
    expect(r.byteExact).to.equal(true);
    expect(r.recordsLeft).to.equal(0);
    expect(r.resent).to.equal(r.runs.reduce((s, x) => s + x.wasted, 0));
    for (const run of r.runs) expect(run.wasted, run.trigger).to.be.at.most(parallel * partSize);
    expect(r.resent).to.be.at.most(r.bound);
    console.log(
      `      re-sent ${r.resent} bytes over 20 kills (${Math.round(r.resent / 20)} per kill, bound ${parallel * partSize}); ${r.openUploads} orphaned uploads; ${r.durationMs} ms`,
    );
  });
});
