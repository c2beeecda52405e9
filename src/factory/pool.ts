// A fixed number of workers over a list: enough in flight for the group commit to record many
// ledger rows in one transaction, few enough to bound memory and open files.

/** Runs `each` over `items` with at most `concurrency` in flight; `each` should not throw (a throw rejects the whole run). */
export async function pool<T>(items: T[], concurrency: number, each: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await each(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
