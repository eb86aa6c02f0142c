import { expect } from 'chai';
import FakeTimers from '@sinonjs/fake-timers';
import { BufferPool, partBuffers, releasePartBuffers } from '../../lib/parts/buffer-pool.js';

describe('parts/buffer-pool', () => {
  it('hands a given buffer back for the same size, and a fresh one for any other size', () => {
    const pool = new BufferPool({ maxIdleBytes: 1024, idleMs: 60_000 });
    const a = pool.take(100);
    expect(a.length).to.equal(100);
    pool.give(a);
    expect(pool.idleBytes).to.equal(100);
    const other = pool.take(200);
    expect(other.buffer).to.not.equal(a.buffer);
    const again = pool.take(100);
    expect(again.buffer).to.equal(a.buffer);
    expect(pool.idleBytes).to.equal(0);
    pool.clear();
  });

  it('takes back the whole buffer from any view of it', () => {
    const pool = new BufferPool({ maxIdleBytes: 1024, idleMs: 60_000 });
    const a = pool.take(64);
    pool.give(a.subarray(0, 10));
    const again = pool.take(64);
    expect(again.buffer).to.equal(a.buffer);
    expect(again.length).to.equal(64);
    pool.clear();
  });

  it('keeps no more than maxIdleBytes, and nothing for empty buffers', () => {
    const pool = new BufferPool({ maxIdleBytes: 250, idleMs: 60_000 });
    pool.give(Buffer.allocUnsafeSlow(100));
    pool.give(Buffer.allocUnsafeSlow(100));
    pool.give(Buffer.allocUnsafeSlow(100));
    expect(pool.idleBytes).to.equal(200);
    pool.give(Buffer.alloc(0));
    expect(pool.idleBytes).to.equal(200);
    pool.clear();
    expect(pool.idleBytes).to.equal(0);
  });

  it('drops idle buffers once idleMs pass without use, and its timer keeps no process alive', () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    // Fake timers: the countdown is asserted to the millisecond, whatever else the machine is doing.
    const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const pool = new BufferPool({ maxIdleBytes: 1024, idleMs: 30 });
      const a = pool.take(100);
      pool.give(a);
      clock.tick(20);
      pool.give(Buffer.allocUnsafeSlow(100)); // activity restarts the countdown
      clock.tick(29);
      expect(pool.idleBytes).to.equal(200);
      clock.tick(1);
      expect(pool.idleBytes).to.equal(0);
      expect(pool.take(100).buffer).to.not.equal(a.buffer);
    } finally {
      clock.uninstall();
    }
    // With real timers, the countdown is unref'd: it keeps no process alive.
    const pool = new BufferPool({ maxIdleBytes: 1024, idleMs: 30 });
    pool.give(pool.take(100));
    expect(pool.idleBytes).to.equal(100);
    expect(timers()).to.equal(before);
    pool.clear();
  });

  it('the process-wide pool is bounded (256 MiB idle, 30 s)', () => {
    expect(partBuffers.maxIdleBytes).to.equal(256 * 1024 * 1024);
    expect(partBuffers.idleMs).to.equal(30_000);
  });

  it('releasePartBuffers() drops what the process-wide pool holds, and the next take is a fresh buffer', () => {
    const size = 64 * 1024 + 7; // a size no upload uses, so nothing else touches this entry meanwhile
    const a = partBuffers.take(size);
    partBuffers.give(a);
    expect(partBuffers.idleBytes).to.be.at.least(size);
    releasePartBuffers();
    expect(partBuffers.idleBytes).to.equal(0);
    const b = partBuffers.take(size);
    expect(b.buffer).to.not.equal(a.buffer);
    partBuffers.give(b);
    releasePartBuffers();
  });
});
