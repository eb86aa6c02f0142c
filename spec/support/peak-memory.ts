/**
 * The memory bound specs' measure: how far this process's external memory (array buffers, and the part buffers the
 * page-buffers addon maps, which `arrayBuffers` does not see) rose above where it was, sampled every 5 ms while
 * `work` runs. The server under test runs in a child process, so only the client counts.
 */
export async function peakExternal<T>(work: () => Promise<T>): Promise<{ result: T; used: number }> {
  global.gc?.();
  const base = process.memoryUsage().external;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().external);
  }, 5);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().external);
    return { result, used: peak - base };
  } finally {
    clearInterval(timer);
  }
}
