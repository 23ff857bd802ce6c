// One visit of a page, for warm_up.test.mjs: the Python modules each first load from a URL
// imports after init() (NOTE [ Warm-up ] in src/torsh_data/_jsapi/loader.py).
import * as td from "/js/index.mjs";

const MODULES = "import sys\nsorted(sys.modules)";

window.visit = async (dataDir, loads) => {
  try {
    const rt = await td.init({ indexURL: "/node_modules/pyodide/" });
    const saved = await rt.snapshotSaved;
    const modules = () => new Set(rt.pyodide.runPython(MODULES).toJs());
    const out = [];
    for (const [file, options] of loads) {
      const before = modules();
      const l = new td.WasmDataLoader(4, options);
      await l.loadFromUrl(`${dataDir}/${file}`);
      let batches = 0;
      while ((await l.nextBatch()) !== null) batches++;
      out.push({ file, samples: l.samples, batches, imported: [...modules()].filter((m) => !before.has(m)).sort() });
    }
    return { snapshot: rt.timings.snapshot, saved, loads: out };
  } catch (e) {
    return { error: `${e}\n${e?.stack ?? ""}` + (e?.traceback ? "\n" + e.traceback : "") };
  }
};
