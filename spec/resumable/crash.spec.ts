import { expect } from 'chai';
import { runCrashScenario } from './crash-harness.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('resumable/crash: SIGKILL at random moments, then resume', function () {
  this.timeout(60_000);

  it('a 64 MiB upload killed 10 times finishes byte-exact, CRC-verified, re-sending at most the parts in flight per kill', async () => {
    const partSize = 256 * KiB;
    const parallel = 4;
    const r = await runCrashScenario({
      size: 64 * MiB,
      kills: 10,
      partSize,
      parallel,
      seed: Number(process.env.CRASH_SEED ?? 0x5eed),
      log: process.env.CRASH_LOG === undefined ? undefined : console.log,
    });
    expect(r.runs.length).to.equal(10);
    expect(r.final).to.include({ mode: 'multipart', size: 64 * MiB, parts: 256 });
    expect(r.final.resumedBytes).to.be.greaterThan(0);
    expect(r.final.crc64).to.equal(r.fileCrc64);
    expect(r.objectCrc64).to.equal(r.fileCrc64);
    expect(r.byteExact).to.equal(true);
    expect(r.recordsLeft).to.equal(0);
    // Every byte sent either landed in a stored part or was cut off by a kill while its part was on the wire.
    expect(r.resent).to.equal(r.runs.reduce((s, x) => s + x.wasted, 0));
    for (const run of r.runs) expect(run.wasted, run.trigger).to.be.at.most(parallel * partSize);
    expect(r.resent).to.be.at.most(r.bound);
    expect(r.durationMs).to.be.below(60_000);
  });
});
