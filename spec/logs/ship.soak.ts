/**
 * The long `oss-stream ship` crash scenario (50 SIGKILLs, plain and gzip), outside the regular suite:
 *
 *   npx mocha spec/logs/ship.soak.ts
 *
 * SHIP_SEED=<n> replays another kill pattern; SHIP_LOG=1 prints each kill.
 */
import { expect } from 'chai';
import { runShipCrashScenario } from './ship-harness.js';

describe('oss-stream ship soak: 50 SIGKILLs while the log rotates', function () {
  this.timeout(900_000);

  for (const gzip of [false, true]) {
    it(`every line exactly once, in order${gzip ? ' (gzip)' : ''}`, async () => {
      const r = await runShipCrashScenario({
        kills: 50,
        gzip,
        seed: Number(process.env.SHIP_SEED ?? (gzip ? 0x50a5 : 0x50a4)),
        rotateEvery: 2000,
        log: process.env.SHIP_LOG === undefined ? undefined : console.log,
      });
      expect(r.rotations).to.be.at.least(10);
      expect(r.numbers.length).to.equal(r.lines);
      expect(r.numbers.every((n, i) => n === i)).to.equal(true);
      console.log(`      ${r.lines} lines, ${r.rotations} rotations, ${r.objects} objects, 50 kills`);
    });
  }
});
