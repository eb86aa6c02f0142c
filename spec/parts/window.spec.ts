import { expect } from 'chai';
import { consistently, eventually } from '../support/eventually.js';
import { Window } from '../../lib/parts/window.js';

describe('parts/window', () => {
  it('runs at most `limit` tasks and wakes slot waiters as tasks finish', async () => {
    const w = new Window(2);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
    };
    let started = 0;
    await new Promise<void>((resolve) => {
      const next = () => {
        if (started === 7) return resolve();
        w.whenSlot(() => {
          started++;
          w.run(task);
          next();
        });
      };
      next();
    });
    await w.settled();
    expect(peak).to.equal(2);
    expect(w.inFlight).to.equal(0);
    expect(() => {
      w.run(task);
      w.run(task);
      w.run(task);
    }).to.throw(/over the limit/);
  });

  it('a limit changed while tasks run: raising it starts waiters at once, lowering it cancels nothing', async () => {
    const w = new Window(1);
    const release: (() => void)[] = [];
    const task = () => new Promise<void>((resolve) => release.push(resolve));
    let started = 0;
    const start = () => w.whenSlot(() => (w.run(task), started++));
    for (let i = 0; i < 4; i++) start();
    expect(started).to.equal(1);
    w.limit = 3;
    expect(started).to.equal(3);
    w.limit = 1;
    expect(w.inFlight).to.equal(3); // no task is cancelled…
    expect(w.isFull).to.equal(true);
    release.shift()!();
    release.shift()!();
    await eventually(() => w.inFlight === 1);
    expect(started).to.equal(3); // …and none starts until the window is under its new limit
    release.shift()!();
    await eventually(() => started === 4);
    release.shift()!();
    await w.settled();
  });

  it('first error wins, aborts the others, and settled() waits for all of them', async () => {
    const w = new Window(3);
    const ended: string[] = [];
    const windDowns: Array<() => void> = [];
    // Each task ends only when the spec says so: on abort it parks its wind-down, so "settled() waits" is observable.
    const slow = (name: string) => (signal: AbortSignal) =>
      new Promise<void>((_resolve, reject) => {
        signal.addEventListener('abort', () =>
          windDowns.push(() => {
            ended.push(`${name}:aborted`);
            reject(new Error(`${name} aborted`));
          }),
        );
      });
    w.run(slow('a'));
    w.run(slow('b'));
    let fail!: () => void;
    w.run(() => new Promise<void>((_resolve, reject) => (fail = () => reject(new Error('first')))));
    expect(w.failed).to.equal(false);
    fail();
    await eventually(() => expect(w.failed).to.equal(true));
    expect((w.error as Error).message).to.equal('first');
    expect(windDowns).to.have.length(2);
    let settled = false;
    const done = w.settled().then(() => (settled = true));
    await consistently(() => expect(settled).to.equal(false), { minMs: 10 });
    expect(ended).to.deep.equal([]);
    for (const windDown of windDowns) windDown();
    await done;
    expect(ended.sort()).to.deep.equal(['a:aborted', 'b:aborted']);
    expect((w.error as Error).message).to.equal('first');
  });

  it('a parent signal aborts the window and wakes waiters', async () => {
    const ac = new AbortController();
    const w = new Window(1, ac.signal);
    w.run((signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
    let woke = false;
    w.whenSlot(() => {
      woke = true;
    });
    expect(woke).to.equal(false);
    ac.abort(new Error('stop'));
    expect(woke).to.equal(true);
    await w.settled();
    expect((w.error as Error).name).to.equal('AbortError');
    expect(((w.error as Error).cause as Error).message).to.equal('stop');
  });
});
