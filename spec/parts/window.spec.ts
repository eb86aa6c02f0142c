import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { Window } from '../../lib/parts/window.js';

describe('parts/window', () => {
  it('runs at most `limit` tasks and wakes slot waiters as tasks finish', async () => {
    const w = new Window(2);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(5);
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

  it('first error wins, aborts the others, and settled() waits for all of them', async () => {
    const w = new Window(3);
    const ended: string[] = [];
    const slow = (name: string) => (signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          ended.push(`${name}:done`);
          resolve();
        }, 1000);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          // a task takes a moment to wind down after the abort
          setTimeout(() => {
            ended.push(`${name}:aborted`);
            reject(new Error(`${name} aborted`));
          }, 10);
        });
      });
    w.run(slow('a'));
    w.run(slow('b'));
    w.run(async () => {
      await sleep(2);
      throw new Error('first');
    });
    await sleep(5);
    expect(w.failed).to.equal(true);
    expect((w.error as Error).message).to.equal('first');
    expect(ended).to.deep.equal([]);
    await w.settled();
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
