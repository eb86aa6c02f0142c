import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { request } from 'undici';
import { signRequestV4 } from '../../lib/core/sign-v4.js';
import { eventually } from '../support/eventually.js';
import { parseServeArgs } from '../../lib/server/cli-serve.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

function serve(args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/server/serve.ts', ...args], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

function waitFor(out: () => string, re: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
  return eventually(() => re.exec(out()) ?? Promise.reject(new Error(`waiting for ${String(re)}; output: ${out()}`)), {
    timeoutMs,
    intervalMs: 20,
  });
}

describe('oss-stream serve (server as a child process)', function () {
  this.timeout(30_000);

  it('prints the endpoint and keys, serves signed requests with faults from the command line, stops on SIGTERM', async () => {
    const fault = JSON.stringify({ op: 'HeadObject', action: { type: 'error', status: 503 } });
    const p = serve([
      '--port',
      '0',
      '--bucket',
      'demo',
      '--bucket',
      'other',
      '--access-key-id',
      'ak',
      '--access-key-secret',
      'sk',
      '--fault',
      fault,
    ]);
    try {
      const endpoint = (await waitFor(p.out, /OSS server listening at (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
      await waitFor(p.out, /Stop with Ctrl-C/);
      expect(p.out()).to.contain('access key id:     ak');
      expect(p.out()).to.contain('access key secret: sk');
      expect(p.out()).to.contain('buckets:           demo, other');
      const headers: Record<string, string> = {};
      signRequestV4(
        { method: 'PUT', bucket: 'demo', key: 'k.txt', query: {}, headers },
        { accessKeyId: 'ak', accessKeySecret: 'sk' },
        new Date(),
        { region: 'cn-hangzhou' },
      );
      const put = await request(`${endpoint}/demo/k.txt`, { method: 'PUT', headers, body: 'from the cli spec' });
      expect(put.statusCode).to.equal(200);
      await put.body.text();
      const unsigned = await request(`${endpoint}/demo/k.txt`);
      expect(unsigned.statusCode).to.equal(403);
      await unsigned.body.text();
      const h: Record<string, string> = {};
      signRequestV4(
        { method: 'HEAD', bucket: 'demo', key: 'k.txt', query: {}, headers: h },
        { accessKeyId: 'ak', accessKeySecret: 'sk' },
        new Date(),
        { region: 'cn-hangzhou' },
      );
      const head = await request(`${endpoint}/demo/k.txt`, { method: 'HEAD', headers: h });
      expect(head.statusCode).to.equal(503);
      await head.body.text();
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).to.equal(0);
    expect(p.out()).to.contain('OSS server stopped');
  });

  it('exits 2 with the usage on a bad option', async () => {
    const p = serve(['--storage', 'tape']);
    expect(await p.exited).to.equal(2);
    expect(p.out()).to.contain('--storage must be disk or discard');
    expect(p.out()).to.contain('Usage: oss-stream serve');
  });

  it('parses every option', () => {
    const r = parseServeArgs([
      '--port',
      '9000',
      '--host',
      '0.0.0.0',
      '--root',
      './data',
      '--bucket',
      'a1b',
      '--region',
      'oss-cn-beijing',
      '--anonymous',
      '--storage',
      'discard',
      '--skip-md5',
      '--access-key-id',
      'i',
      '--access-key-secret',
      's',
      '--security-token',
      't',
      '--fault',
      '{"op":"PutObject","times":"Infinity","action":{"type":"delay","ms":5}}',
    ]);
    expect(r.options).to.deep.equal({
      port: 9000,
      host: '0.0.0.0',
      root: './data',
      buckets: ['a1b'],
      region: 'oss-cn-beijing',
      anonymous: true,
      storage: 'discard',
      skipMd5: true,
      credentials: [{ accessKeyId: 'i', accessKeySecret: 's', securityToken: 't' }],
    });
    expect(r.faults).to.deep.equal([{ op: 'PutObject', times: Infinity, action: { type: 'delay', ms: 5 } }]);
    expect(() => parseServeArgs(['--access-key-id', 'x'])).to.throw(TypeError, /go together/);
    expect(() => parseServeArgs(['--port', '70000'])).to.throw(TypeError);
    expect(() => parseServeArgs(['--fault', '{'])).to.throw(TypeError, /JSON/);
    expect(() => parseServeArgs(['--nope'])).to.throw();
  });
});
