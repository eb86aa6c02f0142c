/**
 * Timed runs of several contenders, interleaved round-robin (a, b, c, b, c, a, …) so that a neighbour stealing the
 * CPU for a while hurts every column alike and the ratios of one table stay meaningful.
 */
import { mainThreadCpuSeconds, processCpuSeconds, selfCpuSeconds } from './measure.js';

/** One timed run. */
export interface RunSample {
  seconds: number;
  /** CPU seconds of this (client) process during the run, all threads. */
  clientCpu: number;
  /** The part of {@link clientCpu} spent on the main thread (`NaN` off Linux). */
  clientMainCpu: number;
  /** CPU seconds of the server process during the run (`NaN` off Linux). */
  serverCpu: number;
}

/** Something that can be run again and again. */
export interface Runnable {
  readonly name: string;
  upload(key: string): Promise<void>;
}

/**
 * Runs every contender `runs` times, rotating who goes first each round. Keys are `<prefix>/<index>` so each
 * contender overwrites its own object.
 */
export async function rounds(
  contenders: readonly Runnable[],
  runs: number,
  serverPid: number | undefined,
  prefix: string,
): Promise<Map<string, RunSample[]>> {
  const out = new Map<string, RunSample[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < runs; r++) {
    for (let j = 0; j < contenders.length; j++) {
      const i = (j + r) % contenders.length;
      const c = contenders[i]!;
      const s0 = processCpuSeconds(serverPid);
      const c0 = selfCpuSeconds();
      const m0 = mainThreadCpuSeconds();
      const t0 = performance.now();
      await c.upload(`${prefix}/${i}`);
      const seconds = (performance.now() - t0) / 1000;
      out.get(c.name)!.push({
        seconds,
        clientCpu: selfCpuSeconds() - c0,
        clientMainCpu: mainThreadCpuSeconds() - m0,
        serverCpu: processCpuSeconds(serverPid) - s0,
      });
    }
  }
  return out;
}
