/**
 * Security, over real HTTP against OssServer:
 * - the server rejects forged, stale, expired and unknown credentials with OSS's codes, keeps every key inside its
 *   root, and bounds request heads and bodies;
 * - the client never lets a secret (or an STS token) out: not in errors, inspection, checkpoint files, diagnostics
 *   events or CLI output.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { inspect, promisify } from 'node:util';
import { expect } from 'chai';
import { request } from 'undici';
import {
  Auth,
  Bucket,
  createAppendStream,
  createPutStream,
  createUploadStream,
  OssArgumentError,
  OssError,
  OssServiceError,
  ProviderAuth,
  RETRY_CHANNEL,
  ResumableStore,
  resumableUpload,
  StsAuth,
  type ClientOptions,
} from 'oss-stream';
import { OssServer, type ServerCredential } from 'oss-stream/server';
import { buildObjectUrl, resolveEndpoint } from '../../lib/core/endpoint.js';
import {
  formatRfc1123,
  presignV1,
  signRequestV1,
  type SignableRequest,
  type SigningCredentials,
} from '../../lib/core/sign-v1.js';
import { presignV4, signRequestV4 } from '../../lib/core/sign-v4.js';
import { contextOf } from '../../lib/bucket.js';

const BUCKET = 'sec-bkt';
const KiB = 1024;
const MiB = 1024 * KiB;
const MINUTE = 60_000;
const CLI = fileURLToPath(new URL('../../lib/cli/main.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

interface Answer {
  status: number;
  code: string | undefined;
  text: string;
}

function codeOf(text: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
}

/** Signs `req` with `version` at `now` (or leaves it unsigned) and sends it to `server`. */
async function send(
  server: OssServer,
  req: {
    method: string;
    key?: string;
    query?: Record<string, string | null>;
    headers?: Record<string, string>;
    body?: string | Buffer;
  },
  sign?: { version: 'v1' | 'v4'; creds: SigningCredentials; now?: Date },
): Promise<Answer> {
  const query = req.query ?? {};
  const signable: SignableRequest = {
    method: req.method,
    bucket: BUCKET,
    key: req.key,
    query,
    headers: { ...(req.headers ?? {}) },
  };
  const now = sign?.now ?? new Date();
  if (sign?.version === 'v1') signRequestV1(signable, sign.creds, now);
  if (sign?.version === 'v4') signRequestV4(signable, sign.creds, now, { region: server.region });
  const url = buildObjectUrl(resolveEndpoint(server.endpoint), BUCKET, req.key, query);
  return sendRaw(url, req.method, signable.headers, req.body);
}

async function sendRaw(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<Answer> {
  const res = await request(url, { method: method as 'GET', headers, body: body ?? null });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    code: codeOf(text) ?? codeOf(Buffer.from(String(res.headers['x-oss-err'] ?? ''), 'base64').toString('utf8')),
    text,
  };
}

/** Writes `head` (and `body`) on a raw socket, reads until the server closes; `error` is the socket error, if any. */
function rawExchange(
  port: number,
  head: string,
  body?: (sock: import('node:net').Socket) => void,
): Promise<{ text: string; error: string | undefined }> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let error: string | undefined;
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    sock.on('close', () => resolve({ text: Buffer.concat(chunks).toString('latin1'), error }));
    sock.write(head);
    body?.(sock);
  });
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...(await walk(p)));
  }
  return out;
}

describe('reliability: security', function () {
  this.timeout(30_000);

  describe('server: authentication over HTTP', () => {
    const PERM: ServerCredential = { accessKeyId: 'perm-ak', accessKeySecret: 'perm-secret' };
    const STS: ServerCredential = {
      accessKeyId: 'sts-ak',
      accessKeySecret: 'sts-secret',
      securityToken: 'sts-token-1',
    };
    let server: OssServer;
    before(async () => {
      server = await OssServer.start({ credentials: [PERM, STS], buckets: [BUCKET] });
    });
    after(() => server.close());

    const put = (key: string) => ({ method: 'PUT', key, body: `body of ${key}` });
    /** Whether `key` exists, asked with a valid signature. */
    async function exists(key: string): Promise<boolean> {
      const a = await send(server, { method: 'HEAD', key }, { version: 'v4', creds: PERM });
      expect([200, 404]).to.include(a.status);
      return a.status === 200;
    }

    for (const version of ['v1', 'v4'] as const) {
      describe(`${version} header signatures`, () => {
        it('accepts a correctly signed PUT, permanent and STS (the control case)', async () => {
          expect((await send(server, put(`ok-${version}`), { version, creds: PERM })).status).to.equal(200);
          expect((await send(server, put(`ok-sts-${version}`), { version, creds: STS })).status).to.equal(200);
          expect(await exists(`ok-${version}`)).to.equal(true);
        });

        it('answers 403 SignatureDoesNotMatch to a bad signature and to a wrong secret, and stores nothing', async () => {
          const signable: SignableRequest = {
            method: 'PUT',
            bucket: BUCKET,
            key: `forged-${version}`,
            query: {},
            headers: {},
          };
          if (version === 'v1') signRequestV1(signable, PERM, new Date());
          else signRequestV4(signable, PERM, new Date(), { region: server.region });
          const auth = signable.headers['authorization']!;
          // Flip the last hex digit of the signature: well-formed, wrong.
          const last = auth.at(-1)!;
          const flipped = `${auth.slice(0, -1)}${last === '0' ? '1' : '0'}`;
          const forged = await sendRaw(
            buildObjectUrl(resolveEndpoint(server.endpoint), BUCKET, `forged-${version}`),
            'PUT',
            { ...signable.headers, authorization: flipped },
            'x',
          );
          expect([forged.status, forged.code]).to.deep.equal([403, 'SignatureDoesNotMatch']);
          const wrong = await send(server, put(`wrong-secret-${version}`), {
            version,
            creds: { ...PERM, accessKeySecret: 'not-the-secret' },
          });
          expect([wrong.status, wrong.code]).to.deep.equal([403, 'SignatureDoesNotMatch']);
          expect(await exists(`forged-${version}`)).to.equal(false);
          expect(await exists(`wrong-secret-${version}`)).to.equal(false);
        });

        it('answers 403 InvalidAccessKeyId to an unknown key id', async () => {
          const a = await send(server, put(`unknown-${version}`), {
            version,
            creds: { accessKeyId: 'nobody', accessKeySecret: 'x' },
          });
          expect([a.status, a.code]).to.deep.equal([403, 'InvalidAccessKeyId']);
        });

        it('answers 403 RequestTimeTooSkewed at 16 minutes either way, and accepts 14', async () => {
          for (const offset of [-16 * MINUTE, 16 * MINUTE, -60 * MINUTE]) {
            const a = await send(server, put(`skew-${version}`), {
              version,
              creds: PERM,
              now: new Date(Date.now() + offset),
            });
            expect([offset, a.status, a.code]).to.deep.equal([offset, 403, 'RequestTimeTooSkewed']);
          }
          expect(await exists(`skew-${version}`)).to.equal(false);
          for (const offset of [-14 * MINUTE, 14 * MINUTE]) {
            expect(
              (
                await send(server, put(`skew-ok-${version}`), {
                  version,
                  creds: PERM,
                  now: new Date(Date.now() + offset),
                })
              ).status,
            ).to.equal(200);
          }
        });

        it('answers 403 InvalidSecurityToken to an unknown STS token, InvalidAccessKeyId to an STS key without one', async () => {
          const bad = await send(server, put(`sts-bad-${version}`), {
            version,
            creds: { ...STS, securityToken: 'made-up-token' },
          });
          expect([bad.status, bad.code]).to.deep.equal([403, 'InvalidSecurityToken']);
          const none = await send(server, put(`sts-none-${version}`), {
            version,
            creds: { accessKeyId: STS.accessKeyId, accessKeySecret: STS.accessKeySecret },
          });
          expect([none.status, none.code]).to.deep.equal([403, 'InvalidAccessKeyId']);
          const onPermanent = await send(server, put(`perm-token-${version}`), {
            version,
            creds: { ...PERM, securityToken: 'sts-token-1' },
          });
          expect([onPermanent.status, onPermanent.code]).to.deep.equal([403, 'InvalidAccessKeyId']);
          for (const k of ['sts-bad', 'sts-none', 'perm-token'])
            expect(await exists(`${k}-${version}`)).to.equal(false);
        });
      });
    }

    it('rejects a V4 request replayed after its x-oss-date left the 15-minute window, however it is dressed up', async () => {
      // A request captured 16 minutes ago, signature and all.
      const then = new Date(Date.now() - 16 * MINUTE);
      const captured: SignableRequest = { method: 'PUT', bucket: BUCKET, key: 'replayed', query: {}, headers: {} };
      signRequestV4(captured, PERM, then, { region: server.region });
      const url = buildObjectUrl(resolveEndpoint(server.endpoint), BUCKET, 'replayed');
      const asIs = await sendRaw(url, 'PUT', captured.headers, 'replay');
      expect([asIs.status, asIs.code]).to.deep.equal([403, 'RequestTimeTooSkewed']);
      // A fresh Date header does not help: V4 takes the time from the signed x-oss-date.
      const freshDate = await sendRaw(url, 'PUT', { ...captured.headers, date: formatRfc1123(new Date()) }, 'replay');
      expect([freshDate.status, freshDate.code]).to.deep.equal([403, 'RequestTimeTooSkewed']);
      // Moving x-oss-date into the window breaks the signature (or, across midnight UTC, the scope's date).
      const now = new Date();
      const sameDay = now.toISOString().slice(0, 10) === then.toISOString().slice(0, 10);
      const moved = await sendRaw(
        url,
        'PUT',
        {
          ...captured.headers,
          // the whole timestamp: replacing only the time kept the old day, a day off once `then` was yesterday
          'x-oss-date': now
            .toISOString()
            .replace(/[-:]/g, '')
            .replace(/\.\d{3}/, ''),
        },
        'replay',
      );
      expect([moved.status, moved.code]).to.deep.equal(
        sameDay ? [403, 'SignatureDoesNotMatch'] : [400, 'InvalidArgument'],
      );
      expect(await exists('replayed')).to.equal(false);
      // Inside the window a replay is accepted, as on OSS: signatures carry a time, not a nonce.
      const recent: SignableRequest = {
        method: 'PUT',
        bucket: BUCKET,
        key: 'replayed-in-window',
        query: {},
        headers: {},
      };
      signRequestV4(recent, PERM, new Date(Date.now() - 10 * MINUTE), { region: server.region });
      const inWindow = buildObjectUrl(resolveEndpoint(server.endpoint), BUCKET, 'replayed-in-window');
      expect((await sendRaw(inWindow, 'PUT', recent.headers, 'a')).status).to.equal(200);
      expect((await sendRaw(inWindow, 'PUT', recent.headers, 'a')).status).to.equal(200);
    });

    it('answers 403 AccessDenied to expired presigned URLs (V1 and V4) and to a V4 URL dated in the future', async () => {
      await send(server, put('presigned'), { version: 'v4', creds: PERM });
      const ep = resolveEndpoint(server.endpoint);
      const get: SignableRequest = { method: 'GET', bucket: BUCKET, key: 'presigned', query: {}, headers: {} };
      const nowSec = Math.floor(Date.now() / 1000);
      const urlOf = (q: Record<string, string>) => buildObjectUrl(ep, BUCKET, 'presigned', q);

      expect((await sendRaw(urlOf(presignV1(get, PERM, nowSec + 60)), 'GET', {})).status).to.equal(200);
      const v1 = await sendRaw(urlOf(presignV1(get, PERM, nowSec - 1)), 'GET', {});
      expect([v1.status, v1.code, /Request has expired/.test(v1.text)]).to.deep.equal([403, 'AccessDenied', true]);
      const v1sts = await sendRaw(urlOf(presignV1(get, STS, nowSec - 3600)), 'GET', {});
      expect([v1sts.status, v1sts.code]).to.deep.equal([403, 'AccessDenied']);

      expect(
        (await sendRaw(urlOf(presignV4(get, PERM, new Date(), 60, { region: server.region })), 'GET', {})).status,
      ).to.equal(200);
      const v4 = await sendRaw(
        urlOf(presignV4(get, PERM, new Date(Date.now() - 2 * 3600_000), 3600, { region: server.region })),
        'GET',
        {},
      );
      expect([v4.status, v4.code, /Request has expired/.test(v4.text)]).to.deep.equal([403, 'AccessDenied', true]);
      const future = await sendRaw(
        urlOf(presignV4(get, PERM, new Date(Date.now() + 16 * MINUTE), 3600, { region: server.region })),
        'GET',
        {},
      );
      expect([future.status, future.code, /not valid yet/.test(future.text)]).to.deep.equal([
        403,
        'AccessDenied',
        true,
      ]);
      // A URL for another key, or with a forged signature, is refused, and an expired URL cannot write either.
      const forged = presignV4(get, PERM, new Date(), 60, { region: server.region });
      const other = await sendRaw(buildObjectUrl(ep, BUCKET, 'other-key', forged), 'GET', {});
      expect([other.status, other.code]).to.deep.equal([403, 'SignatureDoesNotMatch']);
      const putReq: SignableRequest = { method: 'PUT', bucket: BUCKET, key: 'presigned-put', query: {}, headers: {} };
      const expiredPut = await sendRaw(
        buildObjectUrl(ep, BUCKET, 'presigned-put', presignV1(putReq, PERM, nowSec - 1)),
        'PUT',
        {},
        'x',
      );
      expect([expiredPut.status, expiredPut.code]).to.deep.equal([403, 'AccessDenied']);
      expect(await exists('presigned-put')).to.equal(false);
    });

    it('refuses unsigned requests with 403 AccessDenied', async () => {
      const a = await send(server, put('anonymous'));
      expect([a.status, a.code]).to.deep.equal([403, 'AccessDenied']);
      expect(await exists('anonymous')).to.equal(false);
    });
  });

  describe('server: keys that try to escape the root', () => {
    let parent: string;
    let root: string;
    let server: OssServer;
    const tag = randomBytes(6).toString('hex');
    before(async () => {
      parent = await mkdtemp(join(tmpdir(), 'oss-sec-root-'));
      root = join(parent, 'root');
      server = await OssServer.start({ anonymous: true, buckets: [BUCKET], root, limits: { minPartSize: 1 } });
    });
    after(async () => {
      await server.close();
      await rm(parent, { recursive: true, force: true });
    });

    // Every file and directory the disk store may create, relative to the root.
    const LAYOUT = new RegExp(
      '^(tmp|blobs|buckets|blobs/[0-9a-f]{32}|buckets/[a-z0-9-]+|buckets/[a-z0-9-]+/bucket\\.json|buckets/[a-z0-9-]+/meta' +
        '|buckets/[a-z0-9-]+/meta/[0-9a-f]{2}|buckets/[a-z0-9-]+/meta/[0-9a-f]{2}/[0-9a-f]{64}\\.json|buckets/[a-z0-9-]+/uploads' +
        '|buckets/[a-z0-9-]+/uploads/[0-9A-F]{32}|buckets/[a-z0-9-]+/uploads/[0-9A-F]{32}/(upload|part-\\d+)\\.json)$',
    );
    /** Keys as the server decodes them, sent percent-encoded (so `..`, `\` and NUL reach the server verbatim). */
    const hostile = [
      `../escape-${tag}`,
      `../../escape-${tag}`,
      `../../../../../../../../tmp/escape-${tag}`,
      `..\\..\\escape-${tag}`,
      `a/../../../escape-${tag}`,
      `./../escape-${tag}`,
      `nul\u0000-escape-${tag}`,
      `%2e%2e%2fescape-${tag}`,
      `..%2F..%2Fescape-${tag}`,
      `C:\\Windows\\escape-${tag}`,
      `~/escape-${tag}`,
      `${'../'.repeat(333)}e-${tag}`.slice(0, 1023),
      `${'é'.repeat(500)}-${tag}`,
    ];

    it('stores and returns each hostile key through PUT, append and multipart, without a file outside the root', async () => {
      for (const [i, key] of hostile.entries()) {
        const path = `/${BUCKET}/${encodeURIComponent(key)}`;
        const label = JSON.stringify(key.slice(0, 24));
        expect([label, (await sendRaw(`${server.endpoint}${path}`, 'PUT', {}, `p${i}`)).status]).to.deep.equal([
          label,
          200,
        ]);
        expect([label, (await sendRaw(`${server.endpoint}${path}`, 'GET', {})).text]).to.deep.equal([label, `p${i}`]);
        const app = `/${BUCKET}/${encodeURIComponent(`${key}.log`)}`;
        expect((await sendRaw(`${server.endpoint}${app}?append&position=0`, 'POST', {}, 'ap')).status).to.equal(200);
        const mp = `/${BUCKET}/${encodeURIComponent(`${key}.mp`)}`;
        const init = await sendRaw(`${server.endpoint}${mp}?uploads`, 'POST', {});
        const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
        const part = await request(`${server.endpoint}${mp}?partNumber=1&uploadId=${uploadId}`, {
          method: 'PUT',
          body: `m${i}`,
        });
        const etag = String(part.headers['etag']);
        await part.body.dump();
        if (i % 2 === 0) {
          const xml = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`;
          expect((await sendRaw(`${server.endpoint}${mp}?uploadId=${uploadId}`, 'POST', {}, xml)).status).to.equal(200);
          expect((await sendRaw(`${server.endpoint}${mp}`, 'GET', {})).text).to.equal(`m${i}`);
        }
      }
      // Literal dot segments and encoded slashes in the raw request path (no client-side normalisation).
      for (const rawPath of [
        `/${BUCKET}/../../raw-escape-${tag}`,
        `/${BUCKET}/%2e%2e%2f%2e%2e%2fraw-escape-${tag}`,
        `/${BUCKET}/..%5c..%5craw-escape-${tag}`,
        `/..%2f..%2f${tag}/x`,
        `/../${tag}`,
      ]) {
        const { text } = await rawExchange(
          server.port,
          `PUT ${rawPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx`,
        );
        expect(text.slice(0, 12)).to.match(/^HTTP\/1\.1 (200|400|404)/);
      }
      // The bucket name is checked before it can become a path.
      for (const name of ['..', '.', `..%2F${tag}`]) {
        const a = await rawExchange(
          server.port,
          `PUT /${name} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        );
        expect(a.text.slice(0, 12)).to.match(/^HTTP\/1\.1 400/);
      }

      expect(await readdir(parent)).to.deep.equal(['root']);
      for (const dir of [tmpdir(), join(parent, '..'), '/tmp']) {
        expect(
          (await readdir(dir)).filter((n) => n.includes(tag)),
          dir,
        ).to.deep.equal([]);
      }
      const entries = (await walk(root)).map((f) => relative(root, f).split('\\').join('/'));
      expect(entries.filter((e) => !LAYOUT.test(e))).to.deep.equal([]);
      expect(entries.filter((e) => e.includes(tag) || e.includes('..'))).to.deep.equal([]);
    });

    it('refuses keys that are absolute, empty or over 1023 bytes with 400 InvalidObjectName, writing nothing', async () => {
      const before = (await walk(root)).length;
      for (const key of ['/etc/passwd', '\\\\server\\share', 'x'.repeat(1024), `${'é'.repeat(512)}`]) {
        const a = await sendRaw(`${server.endpoint}/${BUCKET}/${encodeURIComponent(key)}`, 'PUT', {}, 'x');
        expect([key.slice(0, 12), a.status, a.code]).to.deep.equal([key.slice(0, 12), 400, 'InvalidObjectName']);
      }
      expect((await walk(root)).length).to.equal(before);
    });
  });

  describe('server: bounded request heads and bodies', () => {
    let server: OssServer;
    const LIMIT = 1 * MiB;
    before(async () => {
      server = await OssServer.start({
        credentials: [{ accessKeyId: 'ak', accessKeySecret: 'sk' }],
        buckets: [BUCKET],
        limits: { maxPutSize: LIMIT, maxPartSize: LIMIT, minPartSize: 1 },
      });
    });
    after(() => server.close());
    const creds = { accessKeyId: 'ak', accessKeySecret: 'sk' };

    it('answers 431 to a 100 KB header or a 100 KB URL, and keeps serving', async () => {
      const big = await send(
        server,
        { method: 'GET', key: 'k', headers: { 'x-oss-meta-big': 'a'.repeat(100_000) } },
        { version: 'v4', creds },
      );
      expect(big.status).to.equal(431);
      const raw = await rawExchange(
        server.port,
        `GET /${BUCKET}/k HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`,
      );
      expect(raw.text.split('\r\n')[0]).to.equal('HTTP/1.1 431 Request Header Fields Too Large');
      const longUrl = await rawExchange(
        server.port,
        `GET /${BUCKET}/${'k'.repeat(100_000)} HTTP/1.1\r\nHost: a\r\n\r\n`,
      );
      expect(longUrl.text.split('\r\n')[0]).to.equal('HTTP/1.1 431 Request Header Fields Too Large');
      const garbage = await rawExchange(server.port, 'NOT HTTP AT ALL\r\n\r\n');
      expect(garbage.text.split('\r\n')[0]).to.equal('HTTP/1.1 400 Bad Request');
      expect(
        (await send(server, { method: 'PUT', key: 'after', body: 'fine' }, { version: 'v4', creds })).status,
      ).to.equal(200);
    });

    it('refuses a declared Content-Length over the limit with 400 EntityTooLarge before reading a byte of the body', async () => {
      const init = await send(
        server,
        { method: 'POST', key: 'too-big', query: { uploads: null } },
        { version: 'v4', creds },
      );
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
      for (const [op, query] of [
        ['PutObject', {}],
        ['UploadPart', { partNumber: '1', uploadId }],
      ] as const) {
        const signable: SignableRequest = {
          method: 'PUT',
          bucket: BUCKET,
          key: 'too-big',
          query,
          headers: { 'content-length': String(LIMIT + 1) },
        };
        signRequestV4(signable, creds, new Date(), { region: server.region });
        const path =
          new URL(buildObjectUrl(resolveEndpoint(server.endpoint), BUCKET, 'too-big', query)).pathname +
          new URL(buildObjectUrl(resolveEndpoint(server.endpoint), BUCKET, 'too-big', query)).search;
        const head = `PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(signable.headers)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\r\n')}\r\n\r\n`;
        const before = server.stats.op(op).bytesIn;
        // Only the head is sent: the answer must come without the body, and the server must close the connection.
        const a = await rawExchange(server.port, head);
        expect([op, a.text.split('\r\n')[0], codeOf(a.text), /\r\nconnection: close\r\n/i.test(a.text)]).to.deep.equal([
          op,
          'HTTP/1.1 400 Bad Request',
          'EntityTooLarge',
          true,
        ]);
        expect(server.stats.op(op).bytesIn - before).to.equal(0);
      }
      const parts = await send(
        server,
        { method: 'GET', key: 'too-big', query: { uploadId } },
        { version: 'v4', creds },
      );
      expect(parts.text).to.not.include('<Part>');
    });

    it('cuts off a chunked body at the limit with 400 EntityTooLarge and keeps nothing of it', async () => {
      const signable: SignableRequest = {
        method: 'PUT',
        bucket: BUCKET,
        key: 'chunked-big',
        query: {},
        headers: { 'transfer-encoding': 'chunked' },
      };
      signRequestV4(signable, creds, new Date(), { region: server.region });
      const head = `PUT /${BUCKET}/chunked-big HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(signable.headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n')}\r\n\r\n`;
      const before = server.stats.op('PutObject').bytesIn;
      const chunk = Buffer.alloc(64 * KiB, 7);
      let sent = 0;
      const a = await rawExchange(server.port, head, (sock) => {
        // Keeps sending (8 MiB at most) until the server closes the connection.
        const pump = (): void => {
          while (sent < 8 * MiB && !sock.destroyed) {
            sent += chunk.length;
            sock.write(`${chunk.length.toString(16)}\r\n`);
            sock.write(chunk);
            if (!sock.write('\r\n')) {
              sock.once('drain', pump);
              return;
            }
          }
        };
        pump();
      });
      expect([a.text.split('\r\n')[0], codeOf(a.text)]).to.deep.equal(['HTTP/1.1 400 Bad Request', 'EntityTooLarge']);
      const read = server.stats.op('PutObject').bytesIn - before;
      expect(read).to.be.greaterThan(LIMIT);
      expect(read).to.be.at.most(LIMIT + 64 * KiB);
      expect(sent).to.be.below(8 * MiB);
      expect((await send(server, { method: 'HEAD', key: 'chunked-big' }, { version: 'v4', creds })).status).to.equal(
        404,
      );
      expect(await readdir(join(server.root, 'tmp'))).to.deep.equal([]);
    });

    it('does not drain a rejected body declared larger than any upload: answers, closes, reads nothing', async () => {
      // A wrong signature on a 4 MiB PUT: before, the server read (and threw away) every byte the client sent.
      const signable: SignableRequest = {
        method: 'PUT',
        bucket: BUCKET,
        key: 'rejected',
        query: {},
        headers: { 'content-length': String(4 * MiB) },
      };
      signRequestV4(signable, { ...creds, accessKeySecret: 'wrong' }, new Date(), { region: server.region });
      const head = `PUT /${BUCKET}/rejected HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(signable.headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n')}\r\n\r\n`;
      const before = server.stats.op('PutObject').bytesIn;
      const a = await rawExchange(server.port, head, (sock) => {
        sock.write(Buffer.alloc(256 * KiB));
      });
      expect([a.text.split('\r\n')[0], codeOf(a.text), /connection: close/i.test(a.text)]).to.deep.equal([
        'HTTP/1.1 403 Forbidden',
        'SignatureDoesNotMatch',
        true,
      ]);
      expect(server.stats.op('PutObject').bytesIn - before).to.equal(0);
      // Within the limit, a rejected body is still drained so the connection can be reused (and undici sees the 403).
      const small = await send(
        server,
        { method: 'PUT', key: 'rejected', body: Buffer.alloc(512 * KiB) },
        { version: 'v4', creds: { ...creds, accessKeySecret: 'wrong' } },
      );
      expect([small.status, small.code]).to.deep.equal([403, 'SignatureDoesNotMatch']);
    });
  });

  describe('client: secrets never appear', () => {
    const tag = randomBytes(8).toString('hex');
    const SECRET = `secret-${tag}-S`;
    const TOKEN = `token-${tag}-T`;
    const WRONG_SECRET = `wrong-${tag}-W`;
    const AK = `ak-${tag}`;
    /** Every rendering of the secrets a leak could take. */
    const needles = (s: string) => [
      s,
      Buffer.from(s).toString('hex'),
      Buffer.from(s).toString('hex').toUpperCase(),
      Buffer.from(s).toString('base64'),
      encodeURIComponent(s),
    ];
    const SECRETS = [...needles(SECRET), ...needles(WRONG_SECRET)];
    const TOKENS = needles(TOKEN);

    let parent: string;
    let server: OssServer;
    const events: { channel: string; text: string }[] = [];
    const channels = [RETRY_CHANNEL];
    const undiciChannels = [
      'undici:request:create',
      'undici:client:sendHeaders',
      'undici:request:headers',
      'undici:request:error',
    ];
    const listeners = new Map<string, (message: unknown) => void>();

    /** Everything a caller could print about `value`. */
    function renderings(value: unknown): string[] {
      const out = [String(value), inspect(value), inspect(value, { depth: Infinity, showHidden: true, getters: true })];
      try {
        out.push(JSON.stringify(value) ?? '');
      } catch {
        // circular: inspect already covered it
      }
      if (value instanceof Error)
        out.push(value.message, value.stack ?? '', inspect(value.cause, { depth: Infinity, showHidden: true }));
      return out;
    }
    function expectNoSecret(what: string, value: unknown, alsoToken = true): void {
      for (const text of renderings(value)) {
        for (const s of SECRETS) expect(text.includes(s), `${what} shows the secret`).to.equal(false);
        if (alsoToken) for (const t of TOKENS) expect(text.includes(t), `${what} shows the STS token`).to.equal(false);
      }
    }

    before(async () => {
      parent = await mkdtemp(join(tmpdir(), 'oss-sec-client-'));
      server = await OssServer.start({
        credentials: [{ accessKeyId: AK, accessKeySecret: SECRET, securityToken: TOKEN }],
        buckets: [BUCKET],
        limits: { minPartSize: 100 * KiB },
      });
      for (const name of [...channels, ...undiciChannels]) {
        const fn = (message: unknown): void => {
          events.push({ channel: name, text: inspect(message, { depth: 6, showHidden: true }) });
        };
        listeners.set(name, fn);
        subscribe(name, fn);
      }
    });
    after(async () => {
      for (const [name, fn] of listeners) unsubscribe(name, fn);
      await server.close();
      await rm(parent, { recursive: true, force: true });
    });

    const fast: ClientOptions = { retryBaseDelayMs: 1, retryMaxDelayMs: 5 };
    const sts = () => new StsAuth(AK, SECRET, TOKEN);

    it('in errors: SignatureDoesNotMatch, InvalidSecurityToken, network errors, aborts, argument errors', async () => {
      const errors: [string, unknown][] = [];
      const catchIt = async (what: string, p: Promise<unknown>): Promise<void> => {
        const err = await p.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, what).to.be.instanceOf(OssError);
        errors.push([what, err]);
      };
      for (const signatureVersion of ['v1', 'v4'] as const) {
        const wrong = new Bucket(new StsAuth(AK, WRONG_SECRET, TOKEN), server.endpoint, BUCKET, {
          ...fast,
          signatureVersion,
        });
        await catchIt(`SignatureDoesNotMatch ${signatureVersion}`, wrong.putObject('x', 'data'));
        await catchIt(`SignatureDoesNotMatch multipart ${signatureVersion}`, wrong.initMultipartUpload('x'));
        await wrong.close();
        const badToken = new Bucket(new StsAuth(AK, SECRET, `${TOKEN}x`), server.endpoint, BUCKET, {
          ...fast,
          signatureVersion,
        });
        await catchIt(`InvalidSecurityToken ${signatureVersion}`, badToken.putObject('x', 'data'));
        await badToken.close();
      }
      const down = await OssServer.start({ anonymous: true });
      const downEndpoint = down.endpoint;
      await down.close();
      const refused = new Bucket(sts(), downEndpoint, BUCKET, { ...fast, retries: 2 });
      await catchIt('ECONNREFUSED', refused.putObject('x', 'data'));
      await refused.close();
      const bucket = new Bucket(sts(), server.endpoint, BUCKET, { ...fast, retries: 0 });
      server.faults.add({ op: 'PutObject', action: { type: 'reset', afterBytes: 10 } });
      await catchIt('connection reset', bucket.putObject('x', Buffer.alloc(100 * KiB)));
      const ac = new AbortController();
      const slow = new Readable({ read() {} });
      slow.push(Buffer.alloc(1000));
      const aborted = bucket.putObject('x', slow, { signal: ac.signal });
      setImmediate(() => ac.abort(new Error('stop'))); // any instant will do: only the error's text is checked
      await catchIt('abort', aborted);
      await catchIt(
        'abort of a stream sink',
        (async () =>
          pipeline(
            Readable.from([Buffer.alloc(300 * KiB)]),
            createUploadStream(bucket, 'y', { partSize: 100 * KiB, signal: AbortSignal.abort() }),
          ))(),
      );
      await bucket.close();
      for (const bad of [`${SECRET}\n`, ` ${SECRET}`, `${SECRET}\u0000`]) {
        const err = (() => {
          try {
            return new StsAuth(AK, bad, TOKEN);
          } catch (e) {
            return e;
          }
        })();
        expect(err).to.be.instanceOf(OssArgumentError);
        errors.push([`argument error for secret ${JSON.stringify(bad.slice(-1))}`, err]);
      }
      const badTokenArg = (() => {
        try {
          return new StsAuth(AK, SECRET, `${TOKEN}\r\n`);
        } catch (e) {
          return e;
        }
      })();
      expect(badTokenArg).to.be.instanceOf(OssArgumentError);
      errors.push(['argument error for token', badTokenArg]);

      expect(errors.map(([, e]) => (e as OssError).code)).to.deep.equal([
        'SignatureDoesNotMatch',
        'SignatureDoesNotMatch',
        'InvalidSecurityToken',
        'SignatureDoesNotMatch',
        'SignatureDoesNotMatch',
        'InvalidSecurityToken',
        'NetworkError',
        'NetworkError',
        'AbortError',
        'AbortError',
        'InvalidArgument',
        'InvalidArgument',
        'InvalidArgument',
        'InvalidArgument',
      ]);
      for (const [what, err] of errors) {
        // The server's SignatureDoesNotMatch body echoes the string to sign, which holds the STS token (OSS does the
        // same); the client redacts it before keeping the body in the non-enumerable `details.body`.
        const echo = (err as OssServiceError).details?.body;
        if (what.startsWith('SignatureDoesNotMatch')) {
          expect(JSON.stringify(echo)).to.include('x-oss-security-token:<redacted>');
          for (const t of TOKENS)
            expect(JSON.stringify(echo).includes(t), `${what}: token in details.body`).to.equal(false);
          expectNoSecret(what, err);
          const { details: _details, ...visible } = { ...(err as object), details: undefined };
          for (const text of [
            (err as Error).message,
            (err as Error).stack ?? '',
            inspect(err),
            JSON.stringify(visible),
          ]) {
            for (const t of TOKENS) expect(text.includes(t), `${what}: token outside details.body`).to.equal(false);
          }
        } else {
          expectNoSecret(what, err);
        }
      }
    });

    it('in util.inspect of clients, credentials, results and sinks, and in checkpoint files', async () => {
      const provider = new ProviderAuth(async () => ({
        accessKeyId: AK,
        accessKeySecret: SECRET,
        securityToken: TOKEN,
        expiration: new Date(Date.now() + 3600_000),
      }));
      const bucket = new Bucket(sts(), server.endpoint, BUCKET, fast);
      const viaProvider = new Bucket(provider, server.endpoint, BUCKET, { ...fast, signatureVersion: 'v1' });
      const file = join(parent, 'big.bin');
      await writeFile(file, randomBytes(700 * KiB));
      const store = new ResumableStore({ root: parent, dir: 'checkpoints' });

      const things: [string, unknown][] = [
        ['Auth', new Auth(AK, SECRET)],
        ['StsAuth', sts()],
        ['ProviderAuth before fetch', provider],
        ['Credentials', await sts().getCredentials()],
        ['Bucket', bucket],
        ['OssContext', contextOf(bucket)],
      ];
      things.push(['PutObject result', await bucket.putObject('small.txt', 'hello')]);
      things.push(['PutObject result (provider)', await viaProvider.putObject('small2.txt', 'hello')]);
      things.push(
        ['ProviderAuth after fetch', provider],
        ['Credentials (provider)', await provider.getCredentials()],
        ['Bucket (provider)', viaProvider],
      );
      const init = await bucket.initMultipartUpload('mp.bin');
      const part = await bucket.uploadPart('mp.bin', init.uploadId, 1, Buffer.alloc(100 * KiB, 1));
      things.push(
        ['initiate result', init],
        ['uploadPart result', part],
        ['listParts result', await bucket.listParts('mp.bin', init.uploadId)],
      );
      things.push(['complete result', await bucket.completeMultipartUpload('mp.bin', init.uploadId, [part])]);
      things.push(['head result', await bucket.headObject('mp.bin')]);
      const got = await bucket.getObject('small.txt');
      things.push(['getObject result', got]);
      for await (const _ of got.body) void _;

      const upload = createUploadStream(bucket, 'stream.bin', { partSize: 100 * KiB });
      upload.write(Buffer.alloc(150 * KiB));
      things.push(['upload stream (mid-upload)', upload]);
      await pipeline(Readable.from([Buffer.alloc(200 * KiB)]), upload);
      things.push(['upload stream (done)', upload]);
      const put = createPutStream(bucket, 'put.bin');
      await pipeline(Readable.from([Buffer.from('abc')]), put);
      things.push(['put stream', put]);
      const append = createAppendStream(bucket, 'app.log');
      await pipeline(Readable.from([Buffer.from('line\n')]), append);
      things.push(['append stream', append]);

      // An interrupted resumable upload leaves its checkpoint: part 3 always fails.
      server.faults.add({ op: 'UploadPart', partNumber: 3, times: Infinity, action: { type: 'error', status: 500 } });
      const failed = await resumableUpload(bucket, 'resumable.bin', file, {
        store,
        partSize: 100 * KiB,
        multipartThreshold: 100 * KiB,
        parallel: 1,
        retries: 1,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      server.faults.clear();
      things.push(['resumable failure', failed]);
      const checkpoints = await readdir(store.directory);
      expect(checkpoints).to.have.length(1);
      const checkpointText = await readFile(join(store.directory, checkpoints[0]!), 'utf8');
      expect(checkpointText).to.include('"uploadId"');
      things.push(['checkpoint file', checkpointText]);
      things.push([
        'resumable result',
        await resumableUpload(bucket, 'resumable.bin', file, {
          store,
          partSize: 100 * KiB,
          multipartThreshold: 100 * KiB,
        }),
      ]);

      for (const [what, value] of things) expectNoSecret(what, value);
      for (const f of await walk(parent)) {
        if (!f.endsWith('.bin')) expectNoSecret(`file ${f}`, await readFile(f, 'utf8').catch(() => ''));
      }
      await bucket.close();
      await viaProvider.close();
    });

    it('in diagnostics_channel events: retries of ours; undici sees the token on the wire, never the secret', async () => {
      events.length = 0;
      const bucket = new Bucket(sts(), server.endpoint, BUCKET, { ...fast, retries: 3 });
      server.faults.add({ op: 'PutObject', times: 2, action: { type: 'error', status: 503, qosDelayTimeMs: 1 } });
      await bucket.putObject('retried.txt', 'x');
      server.faults.add({ op: 'UploadPart', action: { type: 'reset', afterBytes: 100 } });
      const init = await bucket.initMultipartUpload('retried.bin');
      await bucket.uploadPart('retried.bin', init.uploadId, 1, Buffer.alloc(100 * KiB));
      await bucket.close();
      const ours = events.filter((e) => e.channel === RETRY_CHANNEL);
      expect(ours.map((e) => /code: '([^']+)'/.exec(e.text)?.[1])).to.deep.equal([
        'ServiceUnavailable',
        'ServiceUnavailable',
        'ECONNRESET',
      ]);
      for (const e of ours) expectNoSecret(`event on ${e.channel}`, e.text);
      const wire = events.filter((e) => e.channel !== RETRY_CHANNEL);
      expect(wire.length).to.be.greaterThan(0);
      for (const e of wire) expectNoSecret(`event on ${e.channel}`, e.text, false);
    });

    it('in CLI output of a successful and of failing `cp` runs (secret and token from the environment)', async () => {
      const run = promisify(execFile);
      const file = join(parent, 'cli.bin');
      await writeFile(file, randomBytes(300 * KiB));
      const checkpointDir = join(parent, 'cli-checkpoints');
      await mkdir(checkpointDir, { recursive: true });
      const down = await OssServer.start({ anonymous: true });
      const downEndpoint = down.endpoint;
      await down.close();
      const cp = async (endpoint: string, secret: string) => {
        const env = { ...process.env, OSS_ACCESS_KEY_ID: AK, OSS_ACCESS_KEY_SECRET: secret, OSS_SESSION_TOKEN: TOKEN };
        const args = [
          '--import',
          'tsx',
          CLI,
          'cp',
          file,
          `oss://${BUCKET}/cli.bin`,
          '--endpoint',
          endpoint,
          '--checkpoint-dir',
          checkpointDir,
          '--part-size',
          '100KiB',
        ];
        return run(process.execPath, args, { env, cwd: REPO }).then(
          (r) => ({ code: 0, out: r.stdout + r.stderr }),
          (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
        );
      };
      const ok = await cp(server.endpoint, SECRET);
      expect([ok.code, /uploaded .* to oss:\/\/sec-bkt\/cli\.bin: 307200 bytes/.test(ok.out)]).to.deep.equal([0, true]);
      const badSecret = await cp(server.endpoint, WRONG_SECRET);
      expect([badSecret.code, /SignatureDoesNotMatch/.test(badSecret.out)]).to.deep.equal([1, true]);
      const unreachable = await cp(downEndpoint, SECRET);
      expect([unreachable.code, /NetworkError/.test(unreachable.out)]).to.deep.equal([1, true]);
      for (const [what, r] of [
        ['cp ok', ok],
        ['cp wrong secret', badSecret],
        ['cp unreachable', unreachable],
      ] as const)
        expectNoSecret(what, r.out);
      for (const f of await readdir(checkpointDir))
        expectNoSecret(`cli checkpoint ${f}`, await readFile(join(checkpointDir, f), 'utf8'));
    });
  });
});
