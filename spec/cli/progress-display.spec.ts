import { Writable } from 'node:stream';
import { expect } from 'chai';
import { ProgressDisplay, progressModeFor } from '../../lib/cli/progress-display.js';

const MiB = 1024 * 1024;

function sink(tty: boolean): { stream: Writable & { isTTY?: boolean; columns?: number }; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      text += chunk.toString();
      cb();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  if (tty) {
    stream.isTTY = true;
    stream.columns = 200;
  }
  return { stream, text: () => text };
}

describe('cli/progress-display', () => {
  it('picks a bar on a terminal, lines otherwise, nothing when quiet', () => {
    expect(progressModeFor({ isTTY: true }, false)).to.equal('bar');
    expect(progressModeFor({}, false)).to.equal('lines');
    expect(progressModeFor({ isTTY: true }, true)).to.equal('none');
  });

  it('prints plain lines at most once per interval, and always the last one', () => {
    const out = sink(false);
    let now = 0;
    const d = new ProgressDisplay({
      mode: 'lines',
      total: 10 * MiB,
      stream: out.stream,
      now: () => now,
      inFlight: () => 3,
    });
    d.update(0);
    now = 500;
    d.update(2 * MiB); // within the interval: skipped
    now = 1000;
    d.update(4 * MiB);
    now = 1500;
    d.update(10 * MiB); // final: printed at once
    d.update(10 * MiB); // same count: not repeated
    d.stop();
    d.update(10 * MiB);
    expect(out.text()).to.equal(
      'progress: 0 B of 10.0 MiB (0%), -- MiB/s, ETA --, 3 parts in flight\n' +
        'progress: 4.0 MiB of 10.0 MiB (40%), 4.0 MiB/s, ETA 2s, 3 parts in flight\n' +
        'progress: 10.0 MiB of 10.0 MiB (100%), 6.7 MiB/s, 3 parts in flight\n',
    );
  });

  it('counts the rate from the first report, so a resumed upload does not claim the earlier bytes', () => {
    const out = sink(false);
    let now = 0;
    const d = new ProgressDisplay({ mode: 'lines', total: 100 * MiB, stream: out.stream, now: () => now });
    d.update(80 * MiB);
    now = 2000;
    d.update(84 * MiB);
    expect(out.text().split('\n')[1]).to.equal('progress: 84.0 MiB of 100.0 MiB (84%), 2.0 MiB/s, ETA 8s');
  });

  it('shows an unknown total as bytes so far', () => {
    const out = sink(false);
    let now = 0;
    const d = new ProgressDisplay({
      mode: 'lines',
      total: null,
      stream: out.stream,
      now: () => now,
      inFlight: () => 1,
    });
    d.update(0);
    now = 1000;
    d.update(MiB);
    expect(out.text()).to.equal(
      'progress: 0 B, -- MiB/s, 1 part in flight\nprogress: 1.0 MiB, 1.0 MiB/s, 1 part in flight\n',
    );
  });

  it('draws nothing in mode none', () => {
    const out = sink(false);
    const d = new ProgressDisplay({ mode: 'none', total: 5, stream: out.stream });
    d.update(5);
    d.stop();
    expect(out.text()).to.equal('');
  });

  it('draws a cli-progress bar with bytes, rate, ETA and parts in flight on a terminal', () => {
    const out = sink(true);
    let now = 0;
    const d = new ProgressDisplay({
      mode: 'bar',
      total: 4 * MiB,
      stream: out.stream,
      now: () => now,
      inFlight: () => 2,
    });
    d.update(0);
    now = 1000;
    d.update(MiB);
    d.stop();
    const text = out.text();
    expect(text).to.contain('\u2588');
    expect(text).to.contain(' 25% | 1.0 MiB of 4.0 MiB | 1.0 MiB/s | ETA 3s | 2 parts in flight');
    expect(text).to.not.contain('progress:');
  });
});
