import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAddon } from '../../lib/core/native-addon.js';
import { PAGE_BUFFERS_FILE, allocatePartBuffer, partBufferAllocator } from '../../lib/parts/page-allocator.js';
import { NATIVE_ADDONS, REPO_ROOT, buildNativeAddon } from '../../bench/tools/native-build.js';

const MiB = 1024 * 1024;
const LINUX_X64 = process.platform === 'linux' && process.arch === 'x64';
const THP = '/sys/kernel/mm/transparent_hugepage/enabled';
/** Whether the kernel hands out huge pages on request (`[always]` or `[madvise]`). */
const HUGE_PAGES = existsSync(THP) && !readFileSync(THP, 'utf8').includes('[never]');

/** Runs `code` (an ES module) in a fresh node with `env` added; returns its stdout. */
function child(code: string, env: Record<string, string> = {}, flags: string[] = []): string {
  return execFileSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

describe('parts/page-allocator', () => {
  it('uses the huge-page addon on linux-x64, and buffers of every size own exactly their memory', function () {
    if (!LINUX_X64) this.skip();
    expect(partBufferAllocator()).to.equal('huge-pages');
    for (const size of [1, 4096, 2 * MiB - 1, 2 * MiB, 2 * MiB + 1, 8 * MiB, 8 * MiB + 13, 33 * MiB]) {
      const a = allocatePartBuffer(size);
      const b = allocatePartBuffer(size);
      expect(a.length, `size ${size}`).to.equal(size);
      // PartBuffers recovers the whole buffer from any view of it: offset 0, nothing beyond the size
      expect(a.byteOffset).to.equal(0);
      expect(a.buffer.byteLength).to.equal(size);
      a.fill(0xa5);
      b.fill(0x5a);
      expect(a[0]).to.equal(0xa5);
      expect(a[size - 1]).to.equal(0xa5);
      expect(b[size - 1]).to.equal(0x5a);
    }
  });

  it('faults a fresh 8 MiB buffer in as huge pages, not 2,048 small ones', function () {
    if (!LINUX_X64 || !HUGE_PAGES) this.skip();
    const before = process.resourceUsage().minorPageFault;
    const buf = allocatePartBuffer(8 * MiB);
    buf.fill(1);
    const faults = process.resourceUsage().minorPageFault - before;
    // 4 huge pages when the kernel has them free; the kernel may fall back to small pages for part of it
    expect(faults, 'page faults to fill 8 MiB').to.be.below(1024);
  });

  it('gives the memory back when the buffers are collected (4 GiB through 8 MiB buffers, no explicit gc)', function () {
    if (!LINUX_X64) this.skip();
    this.timeout(60_000);
    // The addon tells V8 about the mappings as external memory, as Node's own allocator does, so dropped buffers
    // are collected under pressure without anyone calling gc(). Node runs an addon buffer's finalizer (the munmap)
    // on a later turn of the event loop, which every upload gives it between parts; a synchronous loop of
    // allocations would hold them all.
    const out = child(`
      import { allocatePartBuffer } from './lib/parts/page-allocator.ts';
      const base = process.memoryUsage().rss;
      let peak = 0;
      for (let i = 0; i < 512; i++) {
        allocatePartBuffer(8 * 1024 * 1024).fill(i & 0xff);
        await new Promise((resolve) => setImmediate(resolve));
        peak = Math.max(peak, process.memoryUsage().rss - base);
      }
      console.log(JSON.stringify({ peak }));
    `);
    const { peak } = JSON.parse(out) as { peak: number };
    expect(peak / MiB, 'peak RSS growth, MiB').to.be.below(512);
  });

  it('OSS_STREAM_NATIVE=0 keeps the addon out: ordinary buffers', function () {
    if (!LINUX_X64) this.skip();
    const out = child(
      `import { partBufferAllocator, allocatePartBuffer } from './lib/parts/page-allocator.ts';
       console.log(partBufferAllocator(), allocatePartBuffer(8 * 1024 * 1024).length);`,
      { OSS_STREAM_NATIVE: '0' },
    );
    expect(out.trim()).to.equal(`malloc ${8 * MiB}`);
  });

  it('the addon checks its argument: a RangeError for sizes it cannot map', function () {
    if (!LINUX_X64) this.skip();
    const { addon } = loadAddon<{ alloc: (size: unknown) => Buffer }>(PAGE_BUFFERS_FILE);
    for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 41, '8', undefined]) {
      expect(() => addon!.alloc(bad), String(bad)).to.throw(RangeError, /integer size from 1 to 2\^40/);
    }
  });

  it('the committed binary is exactly what `npm run build:native` builds from native/page-buffers.c', function () {
    this.timeout(60_000);
    if (!LINUX_X64 || spawnSync('gcc', ['--version']).status !== 0) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'page-buffers-'));
    try {
      const fresh = join(dir, 'page-buffers.node');
      buildNativeAddon('pageBuffers', fresh);
      const committed = readFileSync(join(REPO_ROOT, NATIVE_ADDONS.pageBuffers.binary));
      expect(readFileSync(fresh).equals(committed), 'rebuild with npm run build:native').to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
