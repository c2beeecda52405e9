// Bounded concurrency: at most `limit` of `items` in flight, so a scan of thousands of
// endpoints neither opens thousands of sockets at once nor waits for one at a time.

export async function forEachLimited<T>(items: readonly T[], limit: number, run: (item: T, index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      await run(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
