/**
 * Upload callbacks (protocol reference §6): after PutObject or CompleteMultipartUpload stored the object, POST
 * `callbackBody` (variables substituted) to `callbackUrl` and answer with the callback server's body; on failure
 * answer 203 CallbackFailed, the object staying stored.
 *
 * Unlike OSS, this server only calls loopback addresses (`localhost`, `127.0.0.0/8`, `::1`): a test server must
 * not become a request forwarder to arbitrary hosts. Any other URL counts as a failed callback (203
 * CallbackFailed, message says so). Callback requests are not RSA-signed (`authorization` / `x-oss-pub-key-url`
 * are absent): nobody but Alibaba Cloud holds OSS's private key.
 */
import { request } from 'node:http';
import { isIP } from 'node:net';
import type { OpContext } from './context.js';
import { ServerError } from './server-error.js';

/** A decoded callback request. */
interface CallbackSpec {
  urls: string[];
  host?: string;
  body: string;
  bodyType: string;
  vars: Record<string, string>;
}

/** Values the callback body can reference. */
interface CallbackValues {
  bucket: string;
  object: string;
  etag: string;
  size: number;
  mimeType: string;
  crc64: string;
  contentMd5?: string;
}

/** Outcome of a callback call. */
type CallbackOutcome = { ok: true; body: Buffer; contentType: string } | { ok: false; message: string };

const MAX_RESPONSE = 3 * 1024 * 1024;

function bad(message: string, ec?: string): ServerError {
  return new ServerError(400, 'InvalidArgument', message, ec === undefined ? {} : { EC: ec });
}

function decodeJson(b64: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
  } catch {
    throw bad(`The ${what} is not json format.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw bad(`The ${what} is not json format.`);
  return parsed as Record<string, unknown>;
}

/** The callback requested by `x-oss-callback` (or the `callback` query parameter), validated; `undefined` if none. */
export function parseCallback(ctx: OpContext): CallbackSpec | undefined {
  const raw = ctx.headers['x-oss-callback'] ?? ctx.query['callback'] ?? undefined;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const json = decodeJson(raw, 'callback configuration');
  const url = json['callbackUrl'];
  if (typeof url !== 'string' || url.trim() === '')
    throw bad('The callbackUrl of the callback configuration is empty.');
  const body = json['callbackBody'];
  if (typeof body !== 'string' || body === '')
    throw bad('The callbackBody of the callback configuration is empty.', '0007-00000011');
  const bodyType = json['callbackBodyType'] ?? 'application/x-www-form-urlencoded';
  if (bodyType !== 'application/x-www-form-urlencoded' && bodyType !== 'application/json') {
    throw bad('The callbackBodyType must be application/x-www-form-urlencoded or application/json.');
  }
  const urls = url
    .split(';')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  if (urls.length > 5) throw bad('The callbackUrl of the callback configuration holds more than 5 URLs.');
  const spec: CallbackSpec = { urls, body, bodyType, vars: {} };
  if (typeof json['callbackHost'] === 'string' && json['callbackHost'] !== '') spec.host = json['callbackHost'];
  const rawVars = ctx.headers['x-oss-callback-var'] ?? ctx.query['callback-var'] ?? undefined;
  if (rawVars !== undefined && rawVars !== null && rawVars !== '') {
    for (const [k, v] of Object.entries(decodeJson(rawVars, 'callback var'))) {
      // Custom variables are the `x:` keys; OSS accepts a request carrying other keys (oss2's presigned-URL tests
      // send such) and they name nothing a callback body can reference.
      if (!k.startsWith('x:')) continue;
      spec.vars[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  }
  return spec;
}

/** `callbackBody` with `${…}` replaced: URL-encoded for form bodies, JSON values for JSON bodies. */
function substituteBody(spec: CallbackSpec, v: CallbackValues): string {
  const json = spec.bodyType === 'application/json';
  return spec.body.replace(/\$\{([^}]*)\}/g, (_m, name: string) => {
    let value: string | number;
    switch (name) {
      case 'bucket':
        value = v.bucket;
        break;
      case 'object':
        value = v.object;
        break;
      case 'etag':
        value = v.etag;
        break;
      case 'size':
        value = v.size;
        break;
      case 'mimeType':
        value = v.mimeType;
        break;
      case 'crc64':
        value = v.crc64;
        break;
      case 'contentMd5':
        value = v.contentMd5 ?? '';
        break;
      default:
        value = spec.vars[name] ?? '';
    }
    if (json) return typeof value === 'number' ? String(value) : JSON.stringify(value);
    return encodeURIComponent(String(value));
  });
}

/** True for URLs this server is willing to call. */
function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** Calls the URLs in order until one answers 200; 5 s timeout each, no retry. */
async function invokeCallback(spec: CallbackSpec, values: CallbackValues, timeoutMs: number): Promise<CallbackOutcome> {
  const body = Buffer.from(substituteBody(spec, values), 'utf8');
  let last = 'no callback URL';
  for (const raw of spec.urls) {
    let url: URL;
    try {
      url = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`);
    } catch {
      last = `Error status : -1. invalid callbackUrl ${raw}`;
      continue;
    }
    if (url.protocol !== 'http:' || !isLoopbackUrl(url)) {
      last =
        'Error status : -1. This local server only calls back loopback http URLs ' +
        `(localhost, 127.0.0.0/8, ::1), not ${url.host}`;
      continue;
    }
    const outcome = await post(url, spec, body, timeoutMs);
    if (outcome.ok) return outcome;
    last = outcome.message;
  }
  return { ok: false, message: last };
}

function post(url: URL, spec: CallbackSpec, body: Buffer, timeoutMs: number): Promise<CallbackOutcome> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = {
      'content-type': spec.bodyType,
      'content-length': String(body.length),
      'user-agent': 'aliyun-oss-callback',
    };
    if (spec.host !== undefined) headers['host'] = spec.host;
    let done = false;
    const finish = (o: CallbackOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
    };
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE) {
          req.destroy();
          finish({ ok: false, message: 'Error status : 200. The callback response is larger than 3 MB.' });
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) finish({ ok: false, message: `Error status : ${res.statusCode ?? -1}.` });
        else
          finish({
            ok: true,
            body: Buffer.concat(chunks, size),
            contentType: res.headers['content-type'] ?? 'application/json',
          });
      });
      res.on('error', (err) => finish({ ok: false, message: `Error status : -1. ${err.message}` }));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ok: false, message: `Error status : -1. The callback server did not answer within ${timeoutMs} ms.` });
    }, timeoutMs);
    req.on('error', (err) => finish({ ok: false, message: `Error status : -1. ${err.message}` }));
    req.end(body);
  });
}

/**
 * Runs the callback and shapes the answer: 200 with the callback server's body, or a thrown 203 CallbackFailed
 * carrying `headers` (ETag, CRC-64…) since the object is stored either way.
 */
export async function callbackResult(
  spec: CallbackSpec,
  values: CallbackValues,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const outcome = await invokeCallback(spec, values, timeoutMs);
  if (!outcome.ok) throw new ServerError(203, 'CallbackFailed', outcome.message, {}, headers);
  return { status: 200, headers: { ...headers, 'content-type': outcome.contentType }, body: outcome.body };
}
