// A loader worker's boot in a runtime started by the JS package (NOTE [ Worker standard
// library ] in src/torsh_data/loader/_webworkers.py): the same under Node.js (worker_threads)
// and in a page (module Web Workers). Used by js.test.mjs and bench/bench_worker_boot.mjs.

const EPOCHS = `
import json
import torsh_data as td
from torsh_data.loader import WebWorkerExecutor

ds = td.TensorDataset(td.arange(60).reshape(30, 2))

async def epoch(**kw):
    loader = td.DataLoader(ds, batch_size=4, shuffle=True, seed=3, **kw)
    return [[t.tolist() for t in b] async for b in loader]

serial = await epoch()
executor = WebWorkerExecutor(1, boot_snapshot=False)
one = await epoch(executor=executor)
json.dumps({"same": one == serial, "batches": len(serial), "stdlib": executor.stdlib,
            "boot": executor.boot_times, "snapshots": executor.snapshots})
`;

/**
 * init(`options`), then one epoch with no workers and one with a 1-worker pool started afresh
 * (no boot snapshot): `{ page, worker, same, batches, boot }`, `page` the runtime's
 * `timings.stdlib`, `worker` what the worker reports (executor.stdlib[0]), `same` whether the
 * batches are equal, `boot` its start by phase (seconds).
 */
export async function workerStdlib(td, options) {
  const rt = await td.init(options);
  const r = JSON.parse(await rt.pyodide.runPythonAsync(EPOCHS));
  return { page: rt.timings.stdlib, worker: r.stdlib["0"], same: r.same, batches: r.batches, boot: r.boot["0"],
    snapshot: r.snapshots["0"] };
}

/** workerStdlib in a page served from the repository, with `options` added to init()'s; a failure as `{ error }`. */
export async function pageWorkerStdlib(options) {
  try {
    const td = await import("/js/index.mjs");
    return await workerStdlib(td, { indexURL: "/node_modules/pyodide/", snapshot: false, ...options });
  } catch (e) {
    return { error: `${e}\n${e?.traceback ?? ""}` };
  }
}
