/**
 * `oss-stream/pino`: a pino transport that ships log lines into rolling appendable objects with
 * {@link createLogSink}. pino runs it in a worker thread; on a normal exit (`process.exit`, the end of the program)
 * pino waits for the worker to close, and the worker closes only once every line it was given is stored.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const logger = pino(pino.transport({
 *   target: 'oss-stream/pino',
 *   options: {
 *     endpoint: 'oss-cn-hangzhou.aliyuncs.com',
 *     bucket: 'my-logs',
 *     key: 'app/{hostname}/{yyyy}{MM}{dd}-{seq}.log',
 *   },
 * }));
 * ```
 *
 * @packageDocumentation
 */
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import build from 'pino-abstract-transport';
import { Bucket } from './bucket.js';
import { authFromEnv } from './core/credentials.js';
import { OssArgumentError } from './errors.js';
import { createLogSink, type LogSinkOptions } from './logs/log-sink.js';

/**
 * Options of the transport (`pino.transport({ target: 'oss-stream/pino', options })`). They cross into a worker
 * thread, so they are plain data: credentials come from the environment (`OSS_ACCESS_KEY_ID`,
 * `OSS_ACCESS_KEY_SECRET`, `OSS_SESSION_TOKEN`), never from here.
 */
export interface PinoOssOptions extends Omit<LogSinkOptions, 'signal' | 'onRoll' | 'now'> {
  /** OSS endpoint (default: `OSS_ENDPOINT`). */
  endpoint?: string | undefined;
  /** Bucket (default: `OSS_BUCKET`). */
  bucket?: string | undefined;
  /** Region for V4 signatures (default: `OSS_REGION`, or derived from the endpoint). */
  region?: string | undefined;
  signatureVersion?: 'v4' | 'v1' | undefined;
}

function fromEnv(value: string | undefined, name: string, option: string): string {
  const v = value ?? process.env[name];
  if (v === undefined || v === '')
    throw new OssArgumentError(`the oss-stream pino transport needs options.${option} or ${name}`, option);
  return v;
}

/** The transport factory pino calls in its worker thread. */
export default async function ossTransport(opts: PinoOssOptions) {
  const { endpoint, bucket: bucketName, region, signatureVersion, ...sinkOptions } = opts;
  const bucket = new Bucket(
    authFromEnv(),
    fromEnv(endpoint, 'OSS_ENDPOINT', 'endpoint'),
    fromEnv(bucketName, 'OSS_BUCKET', 'bucket'),
    {
      region: region ?? (process.env['OSS_REGION'] || undefined),
      signatureVersion,
    },
  );
  const sink = createLogSink(bucket, sinkOptions);
  let consumed: Promise<void> = Promise.resolve();
  const stream = build(
    (source) => {
      consumed = (async () => {
        for await (const line of source as AsyncIterable<string>) {
          if (!sink.write(`${line}\n`)) await once(sink, 'drain');
        }
      })();
      return consumed;
    },
    {
      parse: 'lines',
      async close() {
        // Every line pino handed over is in the sink before it ends; 'close' (which pino waits for) comes after.
        await consumed.catch(() => undefined);
        sink.end();
        try {
          await finished(sink);
        } finally {
          await bucket.close();
        }
      },
    },
  );
  // A sink that fails (credentials, network after retries) fails the transport: pino reports it.
  sink.on('error', (err) => stream.destroy(err));
  return stream;
}
