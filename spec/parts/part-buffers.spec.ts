import { expect } from 'chai';
import { BufferPool } from '../../lib/parts/buffer-pool.js';
import { PartBuffers } from '../../lib/parts/part-buffers.js';

describe('parts/part-buffers: PartBuffers', () => {
  let pool: BufferPool;
  beforeEach(() => (pool = new BufferPool({ maxIdleBytes: 1 << 20, idleMs: 60_000 })));
  afterEach(() => pool.clear());

  it('hands a released buffer (whole, from any view of it) to the next part of the same size', () => {
    const bufs = new PartBuffers(2, pool);
    const a = bufs.allocate(1024);
    bufs.release(a.subarray(0, 10));
    const b = bufs.allocate(1024);
    expect(b.buffer).to.equal(a.buffer);
    expect(b.length).to.equal(1024);
    expect(pool.idleBytes).to.equal(0);
  });

  it('keeps at most `keep` spares; the rest, and a spare of the wrong size, go to the pool', () => {
    const bufs = new PartBuffers(1, pool);
    const [a, b] = [bufs.allocate(100), bufs.allocate(100)];
    bufs.release(a);
    bufs.release(b);
    expect(pool.idleBytes).to.equal(100);
    const c = bufs.allocate(200); // the kept 100-byte spare does not fit: it goes to the pool too
    expect(c.length).to.equal(200);
    expect(pool.idleBytes).to.equal(200);
  });

  it('returnAll() gives every spare to the pool', () => {
    const bufs = new PartBuffers(4, pool);
    const parts = [bufs.allocate(64), bufs.allocate(64), bufs.allocate(64)];
    for (const p of parts) bufs.release(p);
    expect(pool.idleBytes).to.equal(0);
    bufs.returnAll();
    expect(pool.idleBytes).to.equal(192);
    const next = bufs.allocate(64);
    expect(pool.idleBytes).to.equal(128);
    expect(parts.map((p) => p.buffer)).to.include(next.buffer);
  });
});
