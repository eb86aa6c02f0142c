/**
 * Upload objects › Simple upload › Upload a network stream: what an HTTP download returns goes straight in.
 *
 * `fetch()` answers with a Web ReadableStream; putObject sends it with chunked encoding as it arrives, without
 * buffering it whole. The page comes from a small local HTTP server here, so the example runs offline; set
 * EXAMPLE_SOURCE_URL (e.g. http://www.aliyun.com) to fetch a real page instead.
 * Run: node --import tsx examples/put-network-stream.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetch } from 'undici';
import { ossTarget, bucketFor } from './_local.js';

/** A stand-in for www.aliyun.com: a page of about 200 KB, written in pieces. */
async function startPageServer(): Promise<{ url: string; close(): void }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    for (let i = 0; i < 2000; i++) res.write(`<p>paragraph ${i} of a page served in pieces.</p>\n`);
    res.end('</html>\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() };
}

const oss = await ossTarget();
const bucket = bucketFor(oss);
const page = process.env['EXAMPLE_SOURCE_URL'] === undefined ? await startPageServer() : undefined;
try {
  const input = await fetch(process.env['EXAMPLE_SOURCE_URL'] ?? page!.url);
  if (!input.ok || input.body === null) throw new Error(`download failed: HTTP ${input.status}`);

  const result = await bucket.putObject('aliyun.txt', input.body);
  console.log(`aliyun.txt: ${result.size} bytes streamed, CRC64 ${result.crc64}`);
} finally {
  page?.close();
  await bucket.close();
  await oss.close();
}
