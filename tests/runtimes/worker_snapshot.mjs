// A loader worker's boot snapshot when the stored record does not fit the worker (NOTE
// [ Worker boot snapshot ] in src/torsh_data/loader/_webworkers.py, bootOrRetry in
// pyodide_boot.mjs): used by js.test.mjs in a page of the JS package.

const STEPS = `
import asyncio
import json
import torsh_data as td
from torsh_data.io import Cache
from torsh_data.loader import WebWorkerExecutor, _webworkers

ds = td.TensorDataset(td.arange(60).reshape(30, 2))
cache = Cache("torsh-data-test-worker-snapshot")
for k in await cache.keys():
    await cache.delete(k)

async def epoch(executor=None):
    loader = td.DataLoader(ds, batch_size=4, shuffle=True, seed=3, executor=executor)
    return [[t.tolist() for t in b] async for b in loader]

async def keys(want):  # the pool stores or drops its snapshot in the background
    for _ in range(400):
        if bool(k := await cache.keys()) == want:
            return k
        await asyncio.sleep(0.05)
    return await cache.keys()

serial = await epoch()
steps = {}
stdlib_url = _webworkers._stdlib_url
for step in ("make", "restore", "other stdlib"):
    executor = WebWorkerExecutor(1, boot_snapshot=cache)
    if step == "other stdlib":
        # the worker boots with Pyodide's own standard library while the record under its key
        # was made with the page's precompiled one: the metadata does not match the bytes
        _webworkers._stdlib_url = lambda: None
    try:
        same = await epoch(executor) == serial
    finally:
        _webworkers._stdlib_url = stdlib_url
    stored = await keys(step != "other stdlib")
    steps[step] = {"same": same, "snapshot": executor.snapshots[0], "stdlib": executor.stdlib[0],
                   "stored": len(stored)}
json.dumps(steps)
`;

/** init() in a page served from the repository, then three 1-worker pools sharing a boot
 * snapshot cache: `{ make, restore, "other stdlib" }`, each `{ same, snapshot, stdlib, stored }`
 * (batches equal to no workers', the worker's snapshot and standard library, entries left in
 * the cache); a failure as `{ error }`. */
export async function pageWorkerSnapshot() {
  try {
    const td = await import("/js/index.mjs");
    const rt = await td.init({ indexURL: "/node_modules/pyodide/", snapshot: false });
    return JSON.parse(await rt.pyodide.runPythonAsync(STEPS));
  } catch (e) {
    return { error: `${e}\n${e?.traceback ?? ""}` };
  }
}
