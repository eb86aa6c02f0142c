/**
 * Upload objects › Upload callback: after storing the object, OSS POSTs to your server and hands its answer back.
 *
 * The `callback` option is encoded into the `x-oss-callback` header for you (a raw header, as in the oss2 guide,
 * works too). If the callback fails, OSS answers 203: the upload rejects with OssCallbackError, whose `result`
 * says the object IS stored — do not upload it again.
 * The callback receiver here is a local HTTP server; with real OSS, set EXAMPLE_CALLBACK_URL to a public URL.
 * Run: node --import tsx examples/upload-callback.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Auth, Bucket, OssCallbackError, type PutObjectResult } from 'oss-stream';
import { ossTarget } from './_local.js';

/** Your application server: it receives what OSS posts and answers with JSON. */
async function startCallbackReceiver(): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (req.url === '/broken') {
        res.writeHead(500).end();
        return;
      }
      console.log(`callback server received: ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Status: 'OK', received: body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

const oss = await ossTarget();
const bucket = new Bucket(new Auth(oss.accessKeyId, oss.accessKeySecret), oss.endpoint, oss.bucketName, {
  region: oss.region,
});
const receiver = process.env['EXAMPLE_CALLBACK_URL'] === undefined ? await startCallbackReceiver() : undefined;
const callbackUrl = process.env['EXAMPLE_CALLBACK_URL'] ?? receiver!.url;
try {
  // Prepare the callback parameter
  const result = await bucket.putObject('story.txt', 'a'.repeat(1024 * 1024), {
    callback: {
      url: callbackUrl,
      host: 'oss-cn-hangzhou.aliyuncs.com',
      body: 'filename=${object}&size=${size}&mimeType=${mimeType}',
      bodyType: 'application/x-www-form-urlencoded',
    },
  });
  console.log(`callback answer: ${result.callbackBody}`);

  // The same with the header written by hand, as the oss2 guide does
  const callbackParam = JSON.stringify({
    callbackUrl,
    callbackBody: 'filename=${object}&size=${size}',
    callbackBodyType: 'application/x-www-form-urlencoded',
  });
  const raw = await bucket.putObject('story-raw.txt', 'a novel', {
    headers: { 'x-oss-callback': Buffer.from(callbackParam).toString('base64') },
  });
  console.log(`callback answer (raw header): ${raw.callbackBody}`);

  // A callback that fails: the object is stored anyway
  try {
    await bucket.putObject('story-2.txt', 'another novel', {
      callback: { url: `${callbackUrl}/broken`, body: 'filename=${object}' },
    });
  } catch (err) {
    if (!(err instanceof OssCallbackError)) throw err;
    const stored = (err as OssCallbackError<PutObjectResult>).result;
    console.log(`callback failed (${err.code}, HTTP ${err.status}); story-2.txt is stored with ETag ${stored.etag}`);
  }
} finally {
  receiver?.close();
  await bucket.close();
  await oss.close();
}
