import { expect } from 'chai';
import FakeTimers from '@sinonjs/fake-timers';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckpointRecord, CheckpointStore } from 'oss-stream';
import { CheckpointWriter } from '../../lib/uploads/checkpoint-writer.js';
import { consistently } from '../support/eventually.js';

/** A store whose saves take `ms` (and wait for `gate`, if set), recording overlap and what each save received. */
class SlowStore implements CheckpointStore {
  readonly saves: number[][] = [];
  active = 0;
  maxActive = 0;
  failAt = -1;
  gate: Promise<void> | undefined;
  constructor(readonly ms: number) {}
  async load() {
    return undefined;
  }
  async save(r: CheckpointRecord) {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const i = this.saves.length;
    this.saves.push(r.parts.map((p) => p.partNumber));
    await sleep(this.ms);
    await this.gate;
    this.active--;
    if (i === this.failAt) throw new Error('disk full');
  }
  async delete() {}
}

const record = (): CheckpointRecord => ({
  uploadId: 'U',
  bucket: 'b',
  key: 'k',
  path: '/p',
  size: 100,
  mtimeMs: 1,
  partSize: 10,
  parts: [],
});
const part = (n: number) => ({ partNumber: n, etag: `"${n}"`, crc64: String(n), size: 10 });

describe('uploads/CheckpointWriter', () => {
  it('never overlaps saves, folds parts that finish meanwhile into the next save, and keeps parts sorted', async () => {
    const store = new SlowStore(1);
    let release!: () => void;
    store.gate = new Promise((resolve) => (release = resolve));
    const w = new CheckpointWriter(store, record());
    for (const n of [3, 1, 2]) w.add(part(n));
    // the save of [3] is held: whatever the writer does meanwhile, it must not start a second, overlapping one
    await consistently(() => expect(store.saves).to.deep.equal([[3]]));
    for (const n of [5, 4, 6]) w.add(part(n));
    release();
    await w.flush();
    expect(store.maxActive).to.equal(1);
    expect(store.saves).to.deep.equal([[3], [1, 2, 3, 4, 5, 6]]);
    expect(w.record.parts.map((p) => p.partNumber)).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it('save() writes now and resolves once written; re-adding a part replaces it', async () => {
    const store = new SlowStore(1);
    const w = new CheckpointWriter(store, record());
    await w.save();
    w.add(part(2));
    w.add({ ...part(2), etag: '"new"' });
    await w.flush();
    // The replacement arrived while the first save of part 2 was in flight: one more save carries it.
    expect(store.saves).to.deep.equal([[], [2], [2]]);
    expect(w.record.parts).to.deep.equal([{ ...part(2), etag: '"new"' }]);
  });

  it('hands the store a copy, so a store keeping it sees no later change', async () => {
    const kept: CheckpointRecord[] = [];
    const store: CheckpointStore = {
      load: async () => undefined,
      save: async (r) => void kept.push(r),
      delete: async () => {},
    };
    const w = new CheckpointWriter(store, record());
    await w.save();
    w.add(part(1));
    await w.flush();
    expect(kept.map((r) => r.parts.length)).to.deep.equal([0, 1]);
  });

  it('reports the first failed save once, stops saving, and flush() rejects with it', async () => {
    const store = new SlowStore(1);
    store.failAt = 0;
    const errors: unknown[] = [];
    const w = new CheckpointWriter(store, record(), (e) => errors.push(e));
    w.add(part(1));
    const err = await w.flush().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).message).to.equal('disk full');
    w.add(part(2));
    await consistently(() => expect(store.saves.length).to.equal(1));
    expect(errors.map((e) => (e as Error).message)).to.deep.equal(['disk full']);
  });

  describe('with a minimum interval between saves', () => {
    let clock: ReturnType<typeof FakeTimers.install>;
    beforeEach(() => (clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })));
    afterEach(() => clock.uninstall());

    /** A store that writes at once and records each save's parts and (fake) time. */
    function instantStore(): CheckpointStore & { saves: { at: number; parts: number[] }[] } {
      const saves: { at: number; parts: number[] }[] = [];
      return {
        saves,
        load: async () => undefined,
        save: async (r) => void saves.push({ at: performance.now(), parts: r.parts.map((p) => p.partNumber) }),
        delete: async () => {},
      };
    }

    it('the first save goes at once; parts added within the interval wait for it and go in one save', async () => {
      const store = instantStore();
      const w = new CheckpointWriter(store, record(), () => {}, 1000);
      await w.save();
      w.add(part(1));
      await clock.tickAsync(300);
      w.add(part(2));
      w.add(part(3));
      await clock.tickAsync(699);
      expect(store.saves.map((s) => s.parts)).to.deep.equal([[]]);
      await clock.tickAsync(1);
      expect(store.saves.map((s) => s.parts)).to.deep.equal([[], [1, 2, 3]]);
      expect(store.saves[1]!.at - store.saves[0]!.at).to.equal(1000);
      // Long after the last save, the next part is written at once.
      await clock.tickAsync(5000);
      w.add(part(4));
      await clock.tickAsync(0);
      expect(store.saves.map((s) => s.parts).at(-1)).to.deep.equal([1, 2, 3, 4]);
    });

    it('flush() and save() write a waiting save at once', async () => {
      const store = instantStore();
      const w = new CheckpointWriter(store, record(), () => {}, 1000);
      await w.save();
      w.add(part(1));
      await w.flush();
      expect(store.saves.map((s) => s.parts)).to.deep.equal([[], [1]]);
      expect(performance.now()).to.equal(0);
      w.add(part(2));
      await w.save();
      expect(store.saves.map((s) => s.parts)).to.deep.equal([[], [1], [1, 2]]);
      expect(performance.now()).to.equal(0);
      expect(clock.countTimers()).to.equal(0);
    });
  });
});
