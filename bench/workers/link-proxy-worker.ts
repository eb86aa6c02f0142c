/**
 * The link model (spec/support/link-model.ts) in a process of its own, so its pacing never competes with the
 * client it measures for one event loop. Prints `{"endpoint": …}` once listening; exits on SIGTERM.
 *
 *   node --import tsx bench/workers/link-proxy-worker.ts '{"target":"http://127.0.0.1:9000","rttMs":20,…}'
 */
import { startLinkProxy, type LinkModel } from '../../spec/support/link-model.js';

const job = JSON.parse(process.argv[2]!) as LinkModel & { target: string; aggregateBytesPerSecond: number | null };
const proxy = await startLinkProxy(job.target, {
  ...job,
  // JSON has no Infinity
  aggregateBytesPerSecond: job.aggregateBytesPerSecond ?? Infinity,
});
console.log(JSON.stringify({ endpoint: proxy.endpoint }));
process.once('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
