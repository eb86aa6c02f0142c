// The pino transport target used by examples/pino-transport.ts when run from this repository: pino's worker thread
// cannot load TypeScript, so this file registers tsx in the worker and re-exports lib/pino.ts. An application names
// the built package instead: target: 'oss-stream/pino'.
import { register } from 'tsx/esm/api';

register();
const transport = await import('../lib/pino.ts');
export default transport.default;
