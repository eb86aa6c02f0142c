// The `oss-stream` command's own options, run as a user runs them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...args], { cwd: repo, encoding: 'utf8' });

describe('cli/main', function () {
  this.timeout(20_000);

  it('--version prints the package version and exits 0', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const r = run('--version');
    expect([r.status, r.stdout, r.stderr]).to.deep.equal([0, `oss-stream ${version}\n`, '']);
  });

  it('--help lists the commands, --version and the exit codes (143 for SIGTERM)', () => {
    const r = run('--help');
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(/^Usage: oss-stream <command> \[options\]/);
    expect(r.stdout).to.contain('--version');
    expect(r.stdout).to.contain('130 interrupted (SIGINT), 143 terminated (SIGTERM)');
  });

  it('demo --help prints its usage and exits 0; an unknown demo option exits 2', () => {
    const help = run('demo', '--help');
    expect(help.status, help.stderr).to.equal(0);
    expect(help.stdout).to.match(
      /^Usage: oss-stream demo \[--size MiB\] \[--part-size MiB\] \[--concurrency N\] \[--quiet\]\n/,
    );
    const bad = run('demo', '--bogus');
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.match(/^oss-stream demo: Unknown option '--bogus'/);
    expect(bad.stdout).to.equal('');
  });
});
