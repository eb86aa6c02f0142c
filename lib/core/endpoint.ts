/**
 * Where a request goes: endpoint parsing (protocol, host, addressing style, region) and request URL building with
 * RFC 3986 key encoding, so that any key, `a/b c+d?#%.txt` included, reaches the server byte for byte.
 *
 * The URLs built here are meant to be sent as they are, through `Dispatcher.request({ origin, path })` (what
 * core/http does). Do not pass them through the WHATWG `URL` class or undici's top-level `request()`: both remove
 * `.`/`..` path segments (even percent-encoded ones), which are legal in object keys.
 */
import { isIP } from 'node:net';
import { OssArgumentError } from '../errors.js';

/** An endpoint after {@link resolveEndpoint}: everything the URL builder and the signers need. */
export interface ResolvedEndpoint {
  /** `'https'` or `'http'` (no colon). */
  readonly protocol: 'http' | 'https';
  /** Lower-case host name, with `:port` when it is not the protocol's default; IPv6 in brackets. */
  readonly host: string;
  /** Bucket in the path (`/bucket/key`) instead of the host name. */
  readonly pathStyle: boolean;
  /** The host is a custom domain bound to one bucket: the bucket appears neither in host nor path. */
  readonly cname: boolean;
  /** Standard region id (`cn-hangzhou`) for V4 signing; `undefined` when neither given nor derivable. */
  readonly region: string | undefined;
}

/** Options of {@link resolveEndpoint}. */
interface EndpointOptions {
  /** Region for V4 signing; wins over the one derived from the host. A leading `oss-` is removed. */
  region?: string | undefined;
  /** Force path-style (`true`) or virtual-hosted (`false`) addressing; default: path style for IPs and localhost. */
  pathStyle?: boolean | undefined;
  /** The endpoint is a CNAME bound to the bucket (default `false`). */
  cname?: boolean | undefined;
}

const SCHEME_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;
// `oss-<region>[-internal].aliyuncs.com`, and the dual-stack form `<region>.oss.aliyuncs.com`.
const OSS_HOST_RE = /(?:^|\.)oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$/;
const DUALSTACK_HOST_RE = /^([a-z]{2,}-[a-z0-9-]+)\.oss\.aliyuncs\.com$/;
// Global endpoints that are not a region (transfer acceleration).
const NOT_A_REGION: ReadonlySet<string> = new Set(['accelerate', 'accelerate-overseas']);
const REGION_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
// A region id given as an endpoint: `oss-cn-hangzhou`, `cn-hangzhou`, `oss-us-west-1` (region ids start with an
// area code; other one-label names, such as a compose service, stay hosts).
const REGION_LIKE_RE = /^(?:oss-)?(?:cn|us|eu|ap|me|rg|na|sa)-[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Parses an endpoint given as `host`, `host:port` or `http(s)://host[:port][/]`.
 *
 * - Protocol: the one given, else `http` for localhost and loopback IPs (`127.0.0.0/8`, `[::1]`) and `https` for
 *   anything else.
 * - Path style: `opts.pathStyle`, else automatic for IP literals and `localhost`; never with `cname`.
 * - Region: `opts.region` (a leading `oss-` removed, as ali-oss users write `oss-cn-hangzhou`), else derived from
 *   `oss-<region>[-internal].aliyuncs.com` or `<region>.oss.aliyuncs.com`; `undefined` for acceleration endpoints,
 *   IPs and custom domains.
 *
 * @throws OssArgumentError (argument `endpoint`, `region`, `pathStyle` or `cname`) naming what is wrong.
 */
export function resolveEndpoint(endpoint: string, opts: EndpointOptions = {}): ResolvedEndpoint {
  if (typeof endpoint !== 'string' || endpoint === '') {
    throw new OssArgumentError(
      'endpoint must be a non-empty string such as "oss-cn-hangzhou.aliyuncs.com"',
      'endpoint',
    );
  }
  if (/\s/.test(endpoint))
    throw new OssArgumentError(`endpoint ${JSON.stringify(endpoint)} must not contain whitespace`, 'endpoint');

  const scheme = SCHEME_RE.exec(endpoint);
  let protocol: 'http' | 'https' | undefined;
  if (scheme !== null) {
    const p = (scheme[1] as string).toLowerCase();
    if (p !== 'http' && p !== 'https') {
      throw new OssArgumentError(
        `endpoint ${JSON.stringify(endpoint)} has protocol "${p}"; use http or https`,
        'endpoint',
      );
    }
    protocol = p;
  } else if (endpoint.includes('://')) {
    throw new OssArgumentError(
      `endpoint ${JSON.stringify(endpoint)} has a malformed protocol; use http:// or https://`,
      'endpoint',
    );
  }

  const parse = (text: string): URL => {
    try {
      return new URL(text);
    } catch {
      throw new OssArgumentError(
        `endpoint ${JSON.stringify(endpoint)} is not a valid host[:port] or http(s) URL`,
        'endpoint',
      );
    }
  };
  // Without a protocol the default depends on the host, and URL drops a port only when it is the default of the
  // scheme it parsed with: parse as http first, re-parse as https when that is the protocol.
  let url = parse(scheme !== null ? endpoint : `http://${endpoint}`);
  if (url.username !== '' || url.password !== '') {
    throw new OssArgumentError(
      'endpoint must not contain credentials (user:password@); pass them as credentials',
      'endpoint',
    );
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || /[?#]/.test(endpoint)) {
    throw new OssArgumentError(
      `endpoint ${JSON.stringify(endpoint)} must be a host with an optional port, without a path, query or fragment`,
      'endpoint',
    );
  }

  const hostname = url.hostname; // lower-case, IPv6 in brackets
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const ip = isIP(bare) !== 0;
  const localhost = bare === 'localhost' || bare.endsWith('.localhost');
  const loopback = localhost || (isIP(bare) === 4 && bare.startsWith('127.')) || bare === '::1';
  if (protocol === undefined) {
    protocol = loopback ? 'http' : 'https';
    if (protocol === 'https') url = parse(`https://${endpoint}`);
  }
  const host = url.host;
  // A bare region id (`oss-cn-hangzhou`, `cn-hangzhou`) is a common slip for an endpoint: as a host it fails much
  // later with ENOTFOUND. A name with a scheme or a port is meant as a host (`http://oss-server:9000` in compose).
  const oneLabel = !hostname.includes('.') && !localhost && !ip;
  if (scheme === null && url.port === '' && oneLabel && REGION_LIKE_RE.test(hostname)) {
    const region = hostname.replace(/^oss-/, '');
    throw new OssArgumentError(
      `endpoint ${JSON.stringify(endpoint)} is a region, not a host: ` +
        `use "oss-${region}.aliyuncs.com" as the endpoint (the region "${region}" is derived from it)`,
      'endpoint',
    );
  }

  const cname = opts.cname ?? false;
  if (typeof cname !== 'boolean') throw new OssArgumentError('cname must be a boolean', 'cname');
  if (opts.pathStyle !== undefined && typeof opts.pathStyle !== 'boolean') {
    throw new OssArgumentError('pathStyle must be a boolean', 'pathStyle');
  }
  if (cname && opts.pathStyle === true) {
    throw new OssArgumentError(
      'pathStyle and cname cannot both be set: a CNAME endpoint already names the bucket',
      'pathStyle',
    );
  }
  if (ip && opts.pathStyle === false && !cname) {
    throw new OssArgumentError(
      `pathStyle: false needs a DNS name; ${hostname} is an IP address, so the bucket cannot go in the host`,
      'pathStyle',
    );
  }
  const pathStyle = cname ? false : (opts.pathStyle ?? (ip || localhost));

  return Object.freeze({ protocol, host, pathStyle, cname, region: resolveRegion(opts.region, hostname) });
}

function resolveRegion(explicit: string | undefined, hostname: string): string | undefined {
  const derived = regionFromHost(hostname);
  if (explicit !== undefined) {
    const r = typeof explicit === 'string' ? explicit.replace(/^oss-/, '') : '';
    if (!REGION_RE.test(r)) {
      throw new OssArgumentError(
        `region ${JSON.stringify(explicit)} is invalid: expected an id such as "cn-hangzhou"`,
        'region',
      );
    }
    // A V4 signature scoped to another region than the host's is refused by OSS on every request: say so now.
    if (derived !== undefined && derived !== r) {
      throw new OssArgumentError(
        `region "${r}" contradicts the endpoint ${hostname}, which is in region "${derived}": ` +
          `omit region (it is derived from the endpoint) or use the endpoint oss-${r}.aliyuncs.com`,
        'region',
      );
    }
    return r;
  }
  return derived;
}

/**
 * Refuses an endpoint that already names `bucket` (`my-bucket.oss-cn-hangzhou.aliyuncs.com` with bucket
 * `my-bucket`): requests would go to `my-bucket.my-bucket.oss-…` and fail with ENOTFOUND. A custom domain bound to
 * the bucket is `cname: true`, which this does not touch.
 *
 * @throws OssArgumentError (argument `endpoint`) saying which endpoint to use instead.
 */
export function checkEndpointForBucket(ep: ResolvedEndpoint, bucket: string): void {
  if (ep.cname || ep.pathStyle) return;
  const prefix = `${bucket}.`;
  if (!ep.host.startsWith(prefix)) return;
  const rest = ep.host.slice(prefix.length);
  // Only OSS's own domains: on a custom domain `bucket.bucket.example.com` may be what someone really runs.
  if (!/(?:^|\.)aliyuncs\.com(?::\d+)?$/.test(rest)) return;
  throw new OssArgumentError(
    `endpoint ${ep.host} already contains the bucket "${bucket}" (requests would go to ${bucket}.${ep.host}): ` +
      `pass the endpoint "${rest}" and the bucket separately`,
    'endpoint',
  );
}

/**
 * The region an OSS host name implies: `oss-cn-hangzhou.aliyuncs.com` and `oss-cn-hangzhou-internal.aliyuncs.com`
 * → `cn-hangzhou`; `cn-hangzhou.oss.aliyuncs.com` (dual-stack) → `cn-hangzhou`; acceleration endpoints and any
 * other host → `undefined`.
 */
export function regionFromHost(hostname: string): string | undefined {
  const h = hostname.toLowerCase();
  const m = OSS_HOST_RE.exec(h) ?? DUALSTACK_HOST_RE.exec(h);
  const region = m?.[1];
  return region === undefined || NOT_A_REGION.has(region) ? undefined : region;
}

const UNRESERVED_EXTRA_RE = /[!'()*]/g;

function hexEscape(c: string): string {
  return `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
}

/** RFC 3986 component encoding: everything but `A-Z a-z 0-9 - _ . ~` as upper-case `%XX` of the UTF-8 bytes. */
function encodeComponent(s: string, what: string): string {
  let e: string;
  try {
    e = encodeURIComponent(s);
  } catch {
    throw new OssArgumentError(`${what} contains an unpaired UTF-16 surrogate and cannot be encoded as UTF-8`, what);
  }
  return e.replace(UNRESERVED_EXTRA_RE, hexEscape);
}

/**
 * Encodes an object key for the URL path: RFC 3986 with `/` kept, so `+` → `%2B`, space → `%20`, `%` → `%25`,
 * `?` → `%3F`, `#` → `%23`, `~` kept, non-ASCII → UTF-8 `%XX`.
 * @throws OssArgumentError for keys with lone surrogates.
 */
export function encodeKeyForPath(key: string): string {
  return encodeComponent(key, 'key').replace(/%2F/g, '/');
}

/**
 * Encodes query parameters in the order given: `k=v`, or a bare `k` for `null`/`''` values (`?uploads`); keys and
 * values RFC 3986-encoded (`/` → `%2F`). Returns `''` or a string starting with `?`. Signing sorts separately.
 */
export function encodeQuery(query: Readonly<Record<string, string | null | undefined>>): string {
  let out = '';
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    out += out === '' ? '?' : '&';
    out += encodeComponent(k, 'query');
    if (v !== null && v !== '') out += `=${encodeComponent(v, 'query')}`;
  }
  return out;
}

/** The `Host` header (and URL authority) of a request for `bucket` (already validated by the caller). */
export function requestHost(ep: ResolvedEndpoint, bucket: string | undefined): string {
  return bucket === undefined || ep.pathStyle || ep.cname ? ep.host : `${bucket}.${ep.host}`;
}

/**
 * Path and query of a request: `/key`, `/bucket/key` (path style), `/bucket/` for bucket-level requests in path
 * style, `/` otherwise; followed by {@link encodeQuery}.
 */
export function buildObjectPath(
  ep: ResolvedEndpoint,
  bucket: string | undefined,
  key: string | undefined,
  query: Readonly<Record<string, string | null | undefined>> = {},
): string {
  const k = key === undefined ? '' : encodeKeyForPath(key);
  const path = ep.pathStyle && !ep.cname && bucket !== undefined ? `/${bucket}/${k}` : `/${k}`;
  return path + encodeQuery(query);
}

/**
 * The full request URL: virtual-hosted `https://bucket.host/key`, path-style `http://host/bucket/key`, CNAME
 * `https://host/key`. `bucket` must already be validated (it goes into the host name).
 * @throws OssArgumentError for keys or query values with lone surrogates.
 */
export function buildObjectUrl(
  ep: ResolvedEndpoint,
  bucket: string | undefined,
  key: string | undefined,
  query: Readonly<Record<string, string | null | undefined>> = {},
): string {
  return `${ep.protocol}://${requestHost(ep, bucket)}${buildObjectPath(ep, bucket, key, query)}`;
}
