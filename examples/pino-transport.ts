/**
 * oss-stream/pino: pino's logs shipped into rolling appendable objects by a transport running in pino's worker
 * thread. Credentials reach the worker through the environment (OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET), never
 * through the transport's options.
 * Run: node --import tsx examples/pino-transport.ts  (uses OSS_* variables if set, else a local server)
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { Auth, Bucket } from 'oss-stream';
import { ossTarget } from './_local.js';

const oss = await ossTarget();
process.env['OSS_ACCESS_KEY_ID'] = oss.accessKeyId;
process.env['OSS_ACCESS_KEY_SECRET'] = oss.accessKeySecret;
if (oss.securityToken !== undefined) process.env['OSS_SESSION_TOKEN'] = oss.securityToken;
try {
  const transport = pino.transport({
    // In an application: target: 'oss-stream/pino'. From this repository, a shim that loads the TypeScript source.
    target: fileURLToPath(new URL('./_pino-target.mjs', import.meta.url)),
    options: {
      endpoint: oss.endpoint,
      bucket: oss.bucketName,
      region: oss.region,
      key: 'pino/{yyyy}{MM}{dd}/app-{seq}.log.gz',
      compress: 'gzip',
      flushIntervalMs: 200,
    },
  });
  // The worker compiles the TypeScript source first; an application using the built package need not wait.
  await once(transport, 'ready');
  const logger = pino(transport);
  for (let i = 0; i < 1000; i++) logger.info({ i }, 'request served');

  // On exit pino blocks the main thread until the worker has stored every line; with the OSS server in this very
  // process (the embedded local one) nothing could answer meanwhile, so this example waits for the lines first.
  const bucket = new Bucket(new Auth(oss.accessKeyId, oss.accessKeySecret), oss.endpoint, oss.bucketName, {
    region: oss.region,
  });
  const d = new Date();
  const key = `pino/${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}/app-0.log.gz`;
  let lines = 0;
  for (let tries = 0; lines < 1000 && tries < 300; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      const { body } = await bucket.getObject(key);
      const parts: Buffer[] = [];
      for await (const c of body) parts.push(c as Buffer);
      lines = gunzipSync(Buffer.concat(parts)).toString().split('\n').length - 1;
    } catch {
      // not there yet
    }
  }
  transport.end();
  await once(transport, 'finish'); // end() waited for the worker to store and close
  const head = await bucket.headObject(key);
  console.log(`${key}: ${lines} lines in ${head.size} bytes of gzip (${head.objectType})`);
  await bucket.close();
} finally {
  await oss.close();
}
