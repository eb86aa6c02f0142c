/**
 * The XML codecs of the OSS wire protocol, for both sides: the client builds CompleteMultipartUpload bodies and
 * parses results; the local server builds results and `<Error>` bodies, and parses the request bodies only it reads
 * (lib/server/request-xml.ts) with the reading primitives exported here. This is the only module that imports
 * fast-xml-parser.
 *
 * Guarantees:
 * - Repeated elements (`Part`, `Upload`, `Contents`, `CommonPrefixes`, `Bucket` in a bucket list) are always arrays,
 *   even with one entry.
 * - Nothing is guessed to be a number: ids, ETags, markers and CRC64 values stay strings; only fields that are
 *   numbers by definition (`PartNumber`, `Size`, `MaxParts`, …) are converted, strictly (decimal digits only).
 *   `Size` fits a JS number exactly up to 2^53 bytes, far beyond the 48.8 TiB object limit.
 * - Text is taken verbatim: no trimming (keys may start or end with spaces), entities and character references
 *   decoded exactly once.
 * - With `encoding-type=url` OSS percent-encodes key-like fields; parsers decode them when the document says
 *   `<EncodingType>url</EncodingType>` (override with the `urlDecode` argument), builders encode them when the
 *   result has `encodingType: 'url'`. Every builder's output parses back to the same value.
 *
 * Protocol reference §3 (element names and order) and §4 (`<Error>`).
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { OssError } from '../errors.js';

// ---------------------------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------------------------

/** One entry of a CompleteMultipartUpload request body. */
export interface CompletePart {
  /** 1..10,000. */
  partNumber: number;
  /** The part's ETag exactly as UploadPart returned it, quotes included. */
  etag: string;
}

/** The `InitiateMultipartUploadResult` XML body; the client's result type of that name is in lib/api/. */
interface InitiateMultipartUploadDocument {
  bucket: string;
  key: string;
  /** Opaque id; never a number even when it looks like one. */
  uploadId: string;
  /** `'url'` when the request asked for `encoding-type=url`. */
  encodingType?: string;
}

/** The `CompleteMultipartUploadResult` XML body; the client's result type of that name is in lib/api/. */
interface CompleteMultipartUploadDocument {
  location: string;
  bucket: string;
  key: string;
  /** `"<hex>-<parts>"` with quotes; not a content MD5. */
  etag: string;
  encodingType?: string;
}

/** One `<Part>` of a ListParts page. */
export interface ListedPart {
  partNumber: number;
  /** ISO 8601 time as sent by the server (`2012-02-23T07:01:34.000Z`). */
  lastModified: string;
  etag: string;
  /** Bytes. */
  size: number;
  /** Decimal unsigned 64-bit CRC of the part; a string because it does not fit a JS number. */
  hashCrc64ecma?: string;
}

/** `ListPartsResult`. */
export interface ListPartsResult {
  bucket: string;
  key: string;
  uploadId: string;
  encodingType?: string;
  storageClass?: string;
  /** `0` when absent. */
  partNumberMarker: number;
  /** Pass as `part-number-marker` for the next page; `0` when absent. */
  nextPartNumberMarker: number;
  /** `1000` (the service default) when absent. */
  maxParts: number;
  isTruncated: boolean;
  parts: ListedPart[];
}

/** One `<Upload>` of a ListMultipartUploads page. */
export interface ListedUpload {
  key: string;
  uploadId: string;
  /** ISO 8601 time. */
  initiated: string;
  storageClass?: string;
}

/** `ListMultipartUploadsResult`. Missing marker/prefix elements read as `''`. */
export interface ListMultipartUploadsResult {
  bucket: string;
  encodingType?: string;
  keyMarker: string;
  uploadIdMarker: string;
  nextKeyMarker: string;
  nextUploadIdMarker: string;
  delimiter: string;
  prefix: string;
  /** `1000` when absent. */
  maxUploads: number;
  isTruncated: boolean;
  uploads: ListedUpload[];
  commonPrefixes: string[];
}

/** One `<Contents>` of a ListObjects (v1) page. */
interface ListedObject {
  key: string;
  lastModified: string;
  etag: string;
  /** `Normal`, `Appendable`, `Multipart`, `Symlink`. */
  type: string;
  size: number;
  storageClass: string;
  /** Owner of the object; OSS always lists it (ali-oss reads `Owner.ID` unguarded). */
  owner?: { id: string; displayName: string } | undefined;
}

/** `ListBucketResult` (ListObjects v1). Missing prefix/marker/delimiter read as `''`. */
export interface ListBucketResult {
  name: string;
  prefix: string;
  marker: string;
  /** `100` (the service default) when absent. */
  maxKeys: number;
  delimiter: string;
  encodingType?: string;
  isTruncated: boolean;
  /** Present when the page is truncated. */
  nextMarker?: string;
  contents: ListedObject[];
  commonPrefixes: string[];
}

/** One bucket of a ListBuckets answer. */
interface ListedBucket {
  name: string;
  /** ISO 8601 time. */
  creationDate: string;
  /** `oss-cn-hangzhou`. */
  location?: string;
  /** `cn-hangzhou`. */
  region?: string;
  extranetEndpoint?: string;
  intranetEndpoint?: string;
  storageClass?: string;
}

/** `ListAllMyBucketsResult`. */
interface ListAllMyBucketsResult {
  /** Present when the request paged (`prefix`, `marker`, `max-keys`) or the answer is truncated. */
  paging?: BucketPaging;
  owner?: { id: string; displayName: string };
  buckets: ListedBucket[];
}

/** The paging fields of a ListBuckets answer. */
export interface BucketPaging {
  prefix: string;
  marker: string;
  maxKeys: number;
  isTruncated: boolean;
  /** The marker of the next page, when truncated. */
  nextMarker?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// The fast-xml-parser seam: one parser, two builders, built once (these calls are on per-part hot paths)
// ---------------------------------------------------------------------------------------------------------------

// Elements that repeat. `Part`, `Upload`, `Contents`, `CommonPrefixes`, `Object` (a DeleteMultipleObjects body) and
// `Tag` repeat wherever OSS uses them; `Bucket`
// only as ListAllMyBucketsResult/Buckets/Bucket (depth 3), elsewhere it is the bucket name.
const ARRAY_ELEMENTS: ReadonlySet<string> = new Set(['Part', 'Upload', 'Contents', 'CommonPrefixes', 'Object', 'Tag']);

interface PathView {
  getDepth(): number;
}

function isArrayElement(name: string, path: unknown): boolean {
  return ARRAY_ELEMENTS.has(name) || (name === 'Bucket' && (path as PathView).getDepth() === 3);
}

const ENTITY_RE = /&(?:(amp|lt|gt|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/g;
const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the five XML entities and character references in one pass, so `&amp;#65;` stays `&#65;`. */
function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(
    ENTITY_RE,
    (whole, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
      if (name !== undefined) return NAMED[name] ?? whole;
      const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex as string, 16);
      // Out-of-range or surrogate references cannot be represented; keep them visible rather than guess.
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return whole;
      return String.fromCodePoint(cp);
    },
  );
}

// Entities are decoded by us (processEntities off): the library's decoder leaves `&#65;` alone and would also
// expand DOCTYPE-declared entities, which a server must never do for untrusted bodies.
const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  tagValueProcessor: (_name: string, value: string) => decodeEntities(value),
  // Callbacks get a path matcher instead of a joined path string: measurably cheaper per element.
  jPath: false,
  isArray: isArrayElement,
});

// Control characters other than TAB/LF are not representable in XML 1.0 text; CR would be normalised to LF by
// conforming parsers. Character references keep them intact for our own parser; keys that contain them should
// be listed with encoding-type=url, as OSS recommends.
const TEXT_ESCAPE_ALL_RE = /[&<>"'\r\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
const TEXT_ESCAPE_MIN_RE = /[&<>\r\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

function escapeChar(c: string): string {
  switch (c) {
    case '&':
      return '&amp;';
    case '<':
      return '&lt;';
    case '>':
      return '&gt;';
    case '"':
      return '&quot;';
    case "'":
      return '&apos;';
    default:
      return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
  }
}

/** Escapes text content like OSS does in its answers (quotes as `&quot;`, as in its `<ETag>` elements). */
function escapeAll(value: unknown): string {
  const s = String(value);
  TEXT_ESCAPE_ALL_RE.lastIndex = 0;
  return TEXT_ESCAPE_ALL_RE.test(s) ? s.replace(TEXT_ESCAPE_ALL_RE, escapeChar) : s;
}

/** Escapes only what text content requires, so request bodies match the official SDKs' byte for byte. */
function escapeMinimal(value: unknown): string {
  const s = String(value);
  TEXT_ESCAPE_MIN_RE.lastIndex = 0;
  return TEXT_ESCAPE_MIN_RE.test(s) ? s.replace(TEXT_ESCAPE_MIN_RE, escapeChar) : s;
}

const BUILDER_OPTIONS = {
  ignoreAttributes: true,
  format: false,
  suppressEmptyNode: false,
  processEntities: false,
} as const;
const responseBuilder = new XMLBuilder({
  ...BUILDER_OPTIONS,
  tagValueProcessor: (_n: string, v: unknown) => escapeAll(v),
});
const requestBuilder = new XMLBuilder({
  ...BUILDER_OPTIONS,
  tagValueProcessor: (_n: string, v: unknown) => escapeMinimal(v),
});

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

// ---------------------------------------------------------------------------------------------------------------
// Reading helpers
// ---------------------------------------------------------------------------------------------------------------

type XmlNode = Record<string, unknown>;
type Fail = (message: string) => never;

const DOCTYPE_RE = /<!DOCTYPE/i;

/** Validates and parses `xml`, returning the single root element's content, or calling `fail`. */
export function parseRoot(xml: unknown, rootName: string, fail: Fail): XmlNode {
  if (typeof xml !== 'string' || xml.trim() === '') fail(`expected a <${rootName}> document, got an empty body`);
  const text = xml as string;
  // OSS never sends a DTD; refusing it up front rules out entity-expansion tricks on the server side.
  if (DOCTYPE_RE.test(text)) fail('DOCTYPE declarations are not accepted');
  const valid = XMLValidator.validate(text);
  if (valid !== true) fail(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  let doc: XmlNode;
  try {
    doc = parser.parse(text) as XmlNode;
  } catch (err) {
    fail(`not parseable XML: ${(err as Error).message}`);
  }
  const roots = Object.keys(doc!);
  if (roots.length !== 1 || roots[0] !== rootName) {
    fail(
      `expected root element <${rootName}>, got ${roots.length === 0 ? 'none' : roots.map((r) => `<${r}>`).join(', ')}`,
    );
  }
  return asNode(doc![rootName], rootName, fail);
}

/** An element with children; an empty element (`<a/>`, `<a>\n</a>`) is an empty node. */
export function asNode(value: unknown, name: string, fail: Fail): XmlNode {
  if (typeof value === 'string') {
    if (value.trim() === '') return {};
    fail(`<${name}> must contain elements, not text`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`<${name}> must appear once`);
  return value as XmlNode;
}

export function optText(node: XmlNode, name: string, fail: Fail): string | undefined {
  const v = node[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) fail(`<${name}> must appear once`);
  fail(`<${name}> must contain text, not elements`);
}

export function text(node: XmlNode, name: string, fail: Fail): string {
  const v = optText(node, name, fail);
  if (v === undefined) fail(`<${name}> is missing`);
  return v as string;
}

const DIGITS_RE = /^\d+$/;

export function toInt(raw: string, name: string, fail: Fail): number {
  const t = raw.trim();
  const n = Number(t);
  if (!DIGITS_RE.test(t) || !Number.isSafeInteger(n))
    fail(`<${name}> must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

function int(node: XmlNode, name: string, fail: Fail, fallback?: number): number {
  const v = optText(node, name, fail);
  if (v === undefined || (fallback !== undefined && v.trim() === '')) {
    if (fallback === undefined) fail(`<${name}> is missing`);
    return fallback as number;
  }
  return toInt(v, name, fail);
}

function bool(node: XmlNode, name: string, fail: Fail): boolean {
  const v = text(node, name, fail).trim();
  if (v === 'true') return true;
  if (v === 'false') return false;
  fail(`<${name}> must be true or false, got ${JSON.stringify(v)}`);
}

/** Entries of a repeated element (always an array thanks to isArrayElement). */
export function list(node: XmlNode, name: string, fail: Fail): XmlNode[] {
  const v = node[name];
  if (v === undefined) return [];
  return (v as unknown[]).map((item) => asNode(item, name, fail));
}

/** `<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>`*; tolerates several `<Prefix>` in one container. */
function commonPrefixes(node: XmlNode, fail: Fail, decode: (s: string) => string): string[] {
  const out: string[] = [];
  for (const cp of list(node, 'CommonPrefixes', fail)) {
    const p = cp['Prefix'];
    if (typeof p === 'string') out.push(decode(p));
    else if (Array.isArray(p) && p.every((x) => typeof x === 'string'))
      for (const x of p) out.push(decode(x as string));
    else fail('<CommonPrefixes> must contain <Prefix> text');
  }
  return out;
}

function invalidResponse(what: string): Fail {
  return (message: string): never => {
    throw new OssError(`the service sent an invalid ${what} document: ${message}`, { code: 'InvalidResponse' });
  };
}

const identity = (s: string): string => s;

/** A decoder for `encoding-type=url` fields: forced by `urlDecode`, else decided by the document. */
function urlDecoder(
  urlDecode: boolean | undefined,
  encodingType: string | undefined,
  fail: Fail,
): (s: string) => string {
  if (!(urlDecode ?? encodingType === 'url')) return identity;
  return (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return fail(`${JSON.stringify(s.slice(0, 64))} is not valid percent-encoding`);
    }
  };
}

/** What every result parser starts from: the root's content, the document's `<EncodingType>` and its key decoder. */
interface OpenedResult {
  r: XmlNode;
  fail: Fail;
  encodingType: string | undefined;
  dec: (s: string) => string;
}

/** Parses a result document rooted at `rootName`; failures are `InvalidResponse` errors naming that root. */
function openResult(xml: string, rootName: string, urlDecode: boolean | undefined): OpenedResult {
  const fail = invalidResponse(rootName);
  const r = parseRoot(xml, rootName, fail);
  const encodingType = optText(r, 'EncodingType', fail);
  return { r, fail, encodingType, dec: urlDecoder(urlDecode, encodingType, fail) };
}

/** RFC 3986 encoding of every byte except unreserved characters, as OSS does for `encoding-type=url`. */
function urlEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function urlEncoder(encodingType: string | undefined): (s: string) => string {
  return encodingType === 'url' ? urlEncode : identity;
}

// ---------------------------------------------------------------------------------------------------------------
// Client side
// ---------------------------------------------------------------------------------------------------------------

/**
 * The CompleteMultipartUpload request body, parts in the order given (callers sort ascending). ETags are written
 * exactly as given, quotes included and not entity-escaped, like ali-oss and oss2 send them.
 */
export function buildCompleteMultipartUpload(parts: readonly CompletePart[]): string {
  const Part = parts.map((p) => ({ PartNumber: String(p.partNumber), ETag: p.etag }));
  return DECLARATION + (requestBuilder.build({ CompleteMultipartUpload: Part.length === 0 ? '' : { Part } }) as string);
}

/**
 * Parses an `InitiateMultipartUploadResult`.
 * @param urlDecode force (`true`) or suppress (`false`) URL-decoding of `Key`; by default it follows the
 *   document's `<EncodingType>`.
 * @throws OssError with code `InvalidResponse` when the document is not a well-formed result.
 */
export function parseInitiateMultipartUploadResult(xml: string, urlDecode?: boolean): InitiateMultipartUploadDocument {
  const { r, fail, encodingType, dec } = openResult(xml, 'InitiateMultipartUploadResult', urlDecode);
  const out: InitiateMultipartUploadDocument = {
    bucket: text(r, 'Bucket', fail),
    key: dec(text(r, 'Key', fail)),
    uploadId: text(r, 'UploadId', fail),
  };
  if (encodingType !== undefined) out.encodingType = encodingType;
  return out;
}

/**
 * Parses a `CompleteMultipartUploadResult` (`Location` defaults to `''`).
 * @param urlDecode see {@link parseInitiateMultipartUploadResult}; applies to `Key`.
 * @throws OssError with code `InvalidResponse`.
 */
export function parseCompleteMultipartUploadResult(xml: string, urlDecode?: boolean): CompleteMultipartUploadDocument {
  const { r, fail, encodingType, dec } = openResult(xml, 'CompleteMultipartUploadResult', urlDecode);
  const out: CompleteMultipartUploadDocument = {
    location: optText(r, 'Location', fail) ?? '',
    bucket: text(r, 'Bucket', fail),
    key: dec(text(r, 'Key', fail)),
    etag: text(r, 'ETag', fail),
  };
  if (encodingType !== undefined) out.encodingType = encodingType;
  return out;
}

/**
 * Parses a `ListPartsResult` page. `parts` is always an array.
 * @param urlDecode see {@link parseInitiateMultipartUploadResult}; applies to `Key`.
 * @throws OssError with code `InvalidResponse`.
 */
export function parseListPartsResult(xml: string, urlDecode?: boolean): ListPartsResult {
  const { r, fail, encodingType, dec } = openResult(xml, 'ListPartsResult', urlDecode);
  const out: ListPartsResult = {
    bucket: text(r, 'Bucket', fail),
    key: dec(text(r, 'Key', fail)),
    uploadId: text(r, 'UploadId', fail),
    partNumberMarker: int(r, 'PartNumberMarker', fail, 0),
    nextPartNumberMarker: int(r, 'NextPartNumberMarker', fail, 0),
    maxParts: int(r, 'MaxParts', fail, 1000),
    isTruncated: bool(r, 'IsTruncated', fail),
    parts: list(r, 'Part', fail).map((p) => {
      const part: ListedPart = {
        partNumber: int(p, 'PartNumber', fail),
        lastModified: optText(p, 'LastModified', fail) ?? '',
        etag: text(p, 'ETag', fail),
        size: int(p, 'Size', fail),
      };
      const crc = optText(p, 'HashCrc64ecma', fail);
      if (crc !== undefined) part.hashCrc64ecma = crc.trim();
      return part;
    }),
  };
  if (encodingType !== undefined) out.encodingType = encodingType;
  const storageClass = optText(r, 'StorageClass', fail);
  if (storageClass !== undefined) out.storageClass = storageClass;
  return out;
}

/**
 * Parses a `ListMultipartUploadsResult` page. `uploads` and `commonPrefixes` are always arrays.
 * @param urlDecode see {@link parseInitiateMultipartUploadResult}; applies to `KeyMarker`, `NextKeyMarker`,
 *   `Prefix`, `Delimiter`, each upload's `Key` and each common prefix.
 * @throws OssError with code `InvalidResponse`.
 */
export function parseListMultipartUploadsResult(xml: string, urlDecode?: boolean): ListMultipartUploadsResult {
  const { r, fail, encodingType, dec } = openResult(xml, 'ListMultipartUploadsResult', urlDecode);
  const out: ListMultipartUploadsResult = {
    bucket: text(r, 'Bucket', fail),
    keyMarker: dec(optText(r, 'KeyMarker', fail) ?? ''),
    uploadIdMarker: optText(r, 'UploadIdMarker', fail) ?? '',
    nextKeyMarker: dec(optText(r, 'NextKeyMarker', fail) ?? ''),
    nextUploadIdMarker: optText(r, 'NextUploadIdMarker', fail) ?? '',
    delimiter: dec(optText(r, 'Delimiter', fail) ?? ''),
    prefix: dec(optText(r, 'Prefix', fail) ?? ''),
    maxUploads: int(r, 'MaxUploads', fail, 1000),
    isTruncated: bool(r, 'IsTruncated', fail),
    uploads: list(r, 'Upload', fail).map((u) => {
      const upload: ListedUpload = {
        key: dec(text(u, 'Key', fail)),
        uploadId: text(u, 'UploadId', fail),
        initiated: optText(u, 'Initiated', fail) ?? '',
      };
      const storageClass = optText(u, 'StorageClass', fail);
      if (storageClass !== undefined) upload.storageClass = storageClass;
      return upload;
    }),
    commonPrefixes: commonPrefixes(r, fail, dec),
  };
  if (encodingType !== undefined) out.encodingType = encodingType;
  return out;
}

/**
 * Parses a ListObjects (v1) `ListBucketResult` page. `contents` and `commonPrefixes` are always arrays.
 * @param urlDecode see {@link parseInitiateMultipartUploadResult}; applies to `Prefix`, `Marker`, `NextMarker`,
 *   `Delimiter`, each object's `Key` and each common prefix.
 * @throws OssError with code `InvalidResponse`.
 */
export function parseListBucketResult(xml: string, urlDecode?: boolean): ListBucketResult {
  const { r, fail, encodingType, dec } = openResult(xml, 'ListBucketResult', urlDecode);
  const out: ListBucketResult = {
    name: text(r, 'Name', fail),
    prefix: dec(optText(r, 'Prefix', fail) ?? ''),
    marker: dec(optText(r, 'Marker', fail) ?? ''),
    maxKeys: int(r, 'MaxKeys', fail, 100),
    delimiter: dec(optText(r, 'Delimiter', fail) ?? ''),
    isTruncated: bool(r, 'IsTruncated', fail),
    contents: list(r, 'Contents', fail).map((c) => ({
      key: dec(text(c, 'Key', fail)),
      lastModified: optText(c, 'LastModified', fail) ?? '',
      etag: optText(c, 'ETag', fail) ?? '',
      type: optText(c, 'Type', fail) ?? '',
      size: int(c, 'Size', fail),
      storageClass: optText(c, 'StorageClass', fail) ?? '',
    })),
    commonPrefixes: commonPrefixes(r, fail, dec),
  };
  if (encodingType !== undefined) out.encodingType = encodingType;
  const nextMarker = optText(r, 'NextMarker', fail);
  if (nextMarker !== undefined) out.nextMarker = dec(nextMarker);
  return out;
}

const BUCKET_OPTIONAL_FIELDS: ReadonlyArray<
  readonly ['location' | 'region' | 'extranetEndpoint' | 'intranetEndpoint' | 'storageClass', string]
> = [
  ['extranetEndpoint', 'ExtranetEndpoint'],
  ['intranetEndpoint', 'IntranetEndpoint'],
  ['location', 'Location'],
  ['region', 'Region'],
  ['storageClass', 'StorageClass'],
];

/**
 * Parses a `ListAllMyBucketsResult` (owner and buckets only).
 * @throws OssError with code `InvalidResponse`.
 */
export function parseListAllMyBucketsResult(xml: string): ListAllMyBucketsResult {
  const fail = invalidResponse('ListAllMyBucketsResult');
  const r = parseRoot(xml, 'ListAllMyBucketsResult', fail);
  const out: ListAllMyBucketsResult = { buckets: [] };
  const truncated = optText(r, 'IsTruncated', fail);
  if (truncated !== undefined) {
    out.paging = {
      prefix: optText(r, 'Prefix', fail) ?? '',
      marker: optText(r, 'Marker', fail) ?? '',
      maxKeys: toInt(optText(r, 'MaxKeys', fail) ?? '0', 'MaxKeys', fail),
      isTruncated: truncated === 'true',
    };
    const next = optText(r, 'NextMarker', fail);
    if (next !== undefined) out.paging.nextMarker = next;
  }
  if (r['Owner'] !== undefined) {
    const o = asNode(r['Owner'], 'Owner', fail);
    out.owner = { id: optText(o, 'ID', fail) ?? '', displayName: optText(o, 'DisplayName', fail) ?? '' };
  }
  if (r['Buckets'] !== undefined) {
    out.buckets = list(asNode(r['Buckets'], 'Buckets', fail), 'Bucket', fail).map((b) => {
      const bucket: ListedBucket = {
        name: text(b, 'Name', fail),
        creationDate: optText(b, 'CreationDate', fail) ?? '',
      };
      for (const [field, el] of BUCKET_OPTIONAL_FIELDS) {
        const v = optText(b, el, fail);
        if (v !== undefined) bucket[field] = v;
      }
      return bucket;
    });
  }
  return out;
}

/**
 * All child elements of an `<Error>` document as strings, in document order (`Code`, `Message`, `RequestId`,
 * `HostId`, `EC`, `StringToSign`, …). Returns `null` for anything that is not a well-formed `<Error>` document
 * (an HTML page from a proxy, an empty body); never throws. Nested elements are skipped; a repeated element
 * keeps its first value.
 */
export function parseErrorXml(xml: string): Record<string, string> | null {
  let r: XmlNode;
  try {
    r = parseRoot(xml, 'Error', (m) => {
      throw new Error(m);
    });
  } catch {
    return null;
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(r)) {
    if (name === '#text') continue;
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value) && typeof value[0] === 'string') out[name] = value[0];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Server side
// ---------------------------------------------------------------------------------------------------------------

const ERROR_HEAD = ['Code', 'Message', 'RequestId', 'HostId'] as const;

/**
 * An `<Error>` body: `Code`, `Message`, `RequestId`, `HostId` first (those present), then every other field in the
 * order given (`EC`, `RecommendDoc`, `StringToSign`, `ArgumentName`, …). Undefined values are skipped.
 */
export function buildErrorXml(fields: Readonly<Record<string, string | undefined>>): string {
  const body: Record<string, string> = {};
  for (const name of ERROR_HEAD) if (fields[name] !== undefined) body[name] = fields[name] as string;
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && !(name in body)) body[name] = value;
  }
  return respond({ Error: body });
}

function respond(doc: Record<string, unknown>): string {
  return DECLARATION + (responseBuilder.build(doc) as string);
}

/** A result body that opens with `<EncodingType>` when there is one, where most results put it. */
function startBody(encodingType: string | undefined): Record<string, unknown> {
  return encodingType === undefined ? {} : { EncodingType: encodingType };
}

/** `CommonPrefixes*{Prefix}`, omitted when there are none. */
function addCommonPrefixes(
  body: Record<string, unknown>,
  prefixes: readonly string[],
  enc: (s: string) => string,
): void {
  if (prefixes.length > 0) body['CommonPrefixes'] = prefixes.map((p) => ({ Prefix: enc(p) }));
}

/**
 * One `<Contents>`: Key, LastModified, ETag, Type, Size, StorageClass[, Owner{ID, DisplayName}]. `ownerAlways` lists
 * an owner even when none is known, as ListObjects (v1) does: ali-oss's `list()` reads it without a guard.
 */
function contentsEntry(c: ListedObject, enc: (s: string) => string, ownerAlways: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Key: enc(c.key),
    LastModified: c.lastModified,
    ETag: c.etag,
    Type: c.type,
    Size: String(c.size),
    StorageClass: c.storageClass,
  };
  if (ownerAlways || c.owner !== undefined) {
    out['Owner'] = { ID: c.owner?.id ?? '', DisplayName: c.owner?.displayName ?? '' };
  }
  return out;
}

/**
 * `InitiateMultipartUploadResult`: Bucket, Key, UploadId[, EncodingType]; `Key` URL-encoded when `encodingType` is
 * `'url'`.
 */
export function buildInitiateMultipartUploadResult(r: Readonly<InitiateMultipartUploadDocument>): string {
  const enc = urlEncoder(r.encodingType);
  const body: Record<string, unknown> = { Bucket: r.bucket, Key: enc(r.key), UploadId: r.uploadId };
  if (r.encodingType !== undefined) body['EncodingType'] = r.encodingType;
  return respond({ InitiateMultipartUploadResult: body });
}

/** `CompleteMultipartUploadResult`: [EncodingType,] Location, Bucket, Key, ETag. */
export function buildCompleteMultipartUploadResult(r: Readonly<CompleteMultipartUploadDocument>): string {
  const enc = urlEncoder(r.encodingType);
  const body = startBody(r.encodingType);
  body['Location'] = r.location;
  body['Bucket'] = r.bucket;
  body['Key'] = enc(r.key);
  body['ETag'] = r.etag;
  return respond({ CompleteMultipartUploadResult: body });
}

/**
 * `ListPartsResult`: [EncodingType,] Bucket, Key, UploadId, [StorageClass,] PartNumberMarker, NextPartNumberMarker,
 * MaxParts, IsTruncated, Part*{PartNumber, LastModified, ETag, [HashCrc64ecma,] Size}.
 */
export function buildListPartsResult(r: Readonly<ListPartsResult>): string {
  const enc = urlEncoder(r.encodingType);
  const body = startBody(r.encodingType);
  body['Bucket'] = r.bucket;
  body['Key'] = enc(r.key);
  body['UploadId'] = r.uploadId;
  if (r.storageClass !== undefined) body['StorageClass'] = r.storageClass;
  body['PartNumberMarker'] = String(r.partNumberMarker);
  body['NextPartNumberMarker'] = String(r.nextPartNumberMarker);
  body['MaxParts'] = String(r.maxParts);
  body['IsTruncated'] = String(r.isTruncated);
  if (r.parts.length > 0) {
    body['Part'] = r.parts.map((p) => {
      const part: Record<string, string> = {
        PartNumber: String(p.partNumber),
        LastModified: p.lastModified,
        ETag: p.etag,
      };
      if (p.hashCrc64ecma !== undefined) part['HashCrc64ecma'] = p.hashCrc64ecma;
      part['Size'] = String(p.size);
      return part;
    });
  }
  return respond({ ListPartsResult: body });
}

/**
 * `ListMultipartUploadsResult`: [EncodingType,] Bucket, KeyMarker, UploadIdMarker, NextKeyMarker, NextUploadIdMarker,
 * Delimiter, Prefix, MaxUploads, IsTruncated, Upload*{Key, UploadId, [StorageClass,] Initiated},
 * CommonPrefixes*{Prefix}.
 */
export function buildListMultipartUploadsResult(r: Readonly<ListMultipartUploadsResult>): string {
  const enc = urlEncoder(r.encodingType);
  const body = startBody(r.encodingType);
  body['Bucket'] = r.bucket;
  body['KeyMarker'] = enc(r.keyMarker);
  body['UploadIdMarker'] = r.uploadIdMarker;
  body['NextKeyMarker'] = enc(r.nextKeyMarker);
  body['NextUploadIdMarker'] = r.nextUploadIdMarker;
  body['Delimiter'] = enc(r.delimiter);
  body['Prefix'] = enc(r.prefix);
  body['MaxUploads'] = String(r.maxUploads);
  body['IsTruncated'] = String(r.isTruncated);
  if (r.uploads.length > 0) {
    body['Upload'] = r.uploads.map((u) => {
      const upload: Record<string, string> = { Key: enc(u.key), UploadId: u.uploadId };
      if (u.storageClass !== undefined) upload['StorageClass'] = u.storageClass;
      upload['Initiated'] = u.initiated;
      return upload;
    });
  }
  addCommonPrefixes(body, r.commonPrefixes, enc);
  return respond({ ListMultipartUploadsResult: body });
}

/**
 * `ListBucketResult` (ListObjects v1): Name, Prefix, Marker, MaxKeys, Delimiter, [EncodingType,] IsTruncated,
 * [NextMarker,] Contents*{Key, LastModified, ETag, Type, Size, StorageClass}, CommonPrefixes*{Prefix}.
 */
export function buildListBucketResult(r: Readonly<ListBucketResult>): string {
  const enc = urlEncoder(r.encodingType);
  const body: Record<string, unknown> = {
    Name: r.name,
    Prefix: enc(r.prefix),
    Marker: enc(r.marker),
    MaxKeys: String(r.maxKeys),
    Delimiter: enc(r.delimiter),
  };
  if (r.encodingType !== undefined) body['EncodingType'] = r.encodingType;
  body['IsTruncated'] = String(r.isTruncated);
  if (r.nextMarker !== undefined) body['NextMarker'] = enc(r.nextMarker);
  if (r.contents.length > 0) body['Contents'] = r.contents.map((c) => contentsEntry(c, enc, true));
  addCommonPrefixes(body, r.commonPrefixes, enc);
  return respond({ ListBucketResult: body });
}

/**
 * `ListAllMyBucketsResult`: [Prefix, Marker, MaxKeys, IsTruncated, [NextMarker],] [Owner{ID, DisplayName},]
 * Buckets{Bucket*{CreationDate, ExtranetEndpoint, IntranetEndpoint, Location, Name, Region, StorageClass}} — absent
 * optional fields are omitted.
 */
export function buildListAllMyBucketsResult(r: Readonly<ListAllMyBucketsResult>): string {
  const body: Record<string, unknown> = {};
  if (r.paging !== undefined) {
    body['Prefix'] = r.paging.prefix;
    body['Marker'] = r.paging.marker;
    body['MaxKeys'] = String(r.paging.maxKeys);
    body['IsTruncated'] = String(r.paging.isTruncated);
    if (r.paging.nextMarker !== undefined) body['NextMarker'] = r.paging.nextMarker;
  }
  if (r.owner !== undefined) body['Owner'] = { ID: r.owner.id, DisplayName: r.owner.displayName };
  const buckets = r.buckets.map((b) => {
    const out: Record<string, string> = { CreationDate: b.creationDate };
    if (b.extranetEndpoint !== undefined) out['ExtranetEndpoint'] = b.extranetEndpoint;
    if (b.intranetEndpoint !== undefined) out['IntranetEndpoint'] = b.intranetEndpoint;
    if (b.location !== undefined) out['Location'] = b.location;
    out['Name'] = b.name;
    if (b.region !== undefined) out['Region'] = b.region;
    if (b.storageClass !== undefined) out['StorageClass'] = b.storageClass;
    return out;
  });
  body['Buckets'] = buckets.length > 0 ? { Bucket: buckets } : '';
  return respond({ ListAllMyBucketsResult: body });
}

// ---------------------------------------------------------------------------------------------------------------
// Server side: copy, batch delete, ListObjectsV2, tagging
// ---------------------------------------------------------------------------------------------------------------

/** `CopyObjectResult`: ETag, LastModified. */
export function buildCopyObjectResult(r: Readonly<{ etag: string; lastModified: string }>): string {
  return respond({ CopyObjectResult: { ETag: r.etag, LastModified: r.lastModified } });
}

/** `CopyPartResult` (UploadPartCopy): LastModified, ETag. */
export function buildCopyPartResult(r: Readonly<{ etag: string; lastModified: string }>): string {
  return respond({ CopyPartResult: { LastModified: r.lastModified, ETag: r.etag } });
}

/** `DeleteResult`: [EncodingType,] Deleted*{Key}; keys URL-encoded when `encodingType` is `'url'`. */
export function buildDeleteResult(
  r: Readonly<{ deleted: readonly string[]; encodingType?: string | undefined }>,
): string {
  const enc = urlEncoder(r.encodingType);
  const body = startBody(r.encodingType);
  if (r.deleted.length > 0) body['Deleted'] = r.deleted.map((k) => ({ Key: enc(k) }));
  return respond({ DeleteResult: body });
}

/** `ListBucketResult` of ListObjectsV2 (`list-type=2`). */
interface ListBucketResultV2 {
  name: string;
  prefix: string;
  /** Echoed when the request gave one. */
  startAfter?: string | undefined;
  /** Echoed when the request gave one (opaque, never URL-encoded). */
  continuationToken?: string | undefined;
  maxKeys: number;
  delimiter: string;
  encodingType?: string | undefined;
  isTruncated: boolean;
  /** Present when the page is truncated. */
  nextContinuationToken?: string | undefined;
  /** `owner` is listed only when the request asked for it (`fetch-owner=true`). */
  contents: ListedObject[];
  commonPrefixes: string[];
}

/**
 * ListObjectsV2's `ListBucketResult`: Name, Prefix, [StartAfter,] [ContinuationToken,] MaxKeys, Delimiter,
 * [EncodingType,] IsTruncated, [NextContinuationToken,] Contents*, CommonPrefixes*, KeyCount (Contents plus
 * CommonPrefixes on this page).
 */
export function buildListBucketResultV2(r: Readonly<ListBucketResultV2>): string {
  const enc = urlEncoder(r.encodingType);
  const body: Record<string, unknown> = { Name: r.name, Prefix: enc(r.prefix) };
  if (r.startAfter !== undefined) body['StartAfter'] = enc(r.startAfter);
  if (r.continuationToken !== undefined) body['ContinuationToken'] = r.continuationToken;
  body['MaxKeys'] = String(r.maxKeys);
  body['Delimiter'] = enc(r.delimiter);
  if (r.encodingType !== undefined) body['EncodingType'] = r.encodingType;
  body['IsTruncated'] = String(r.isTruncated);
  if (r.nextContinuationToken !== undefined) body['NextContinuationToken'] = r.nextContinuationToken;
  if (r.contents.length > 0) body['Contents'] = r.contents.map((c) => contentsEntry(c, enc, false));
  addCommonPrefixes(body, r.commonPrefixes, enc);
  body['KeyCount'] = String(r.contents.length + r.commonPrefixes.length);
  return respond({ ListBucketResult: body });
}

/** `PostResponse` (PostObject with `success_action_status=201`): Bucket, Location, Key, ETag. */
export function buildPostResponse(
  r: Readonly<{ bucket: string; location: string; key: string; etag: string }>,
): string {
  return respond({ PostResponse: { Bucket: r.bucket, Location: r.location, Key: r.key, ETag: r.etag } });
}
