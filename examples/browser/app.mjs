// The torsh-data demo: load a shipped dataset, a dropped file or a URL; show progress, the
// schema, the first batch, throughput and whether the data came from the cache.
// Assembled by `node js/scripts/build.mjs --demo`; served by `torsh-data serve examples/browser`.
import { capabilities, init, WasmDataLoader } from "./vendor/torsh-data/index.mjs";

const $ = (id) => document.getElementById(id);
const state = (window.demo = { ready: false, loads: [], epochs: [], error: null, boot: [] });

/**
 * Offline after the first visit: the service worker keeps the page, Pyodide, the wheel and
 * the generated datasets from its install on (sw.js); datasets from elsewhere are kept by
 * torsh-data's own cache (IndexedDB), which is what "Cache" shows. Registered once the first
 * batch is shown, so that its downloads do not slow the first boot.
 */
function keepOffline() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("./sw.js").then(() => navigator.serviceWorker.ready)
    .then(() => { state.offlineReady = true; })
    .catch((e) => console.warn("no service worker:", e));
}

/** Empty what describes the last dataset (a failed load leaves none shown). */
function clearDataset() {
  for (const id of ["source", "cache", "samples", "throughput"]) $(id).textContent = "–";
  $("schema").replaceChildren();
  $("preview").replaceChildren();
  $("epoch").disabled = true;
}

function fail(e) {
  state.error = String(e?.message ?? e);
  $("status").textContent = `${e?.name ?? "Error"}: ${e?.message ?? e}`;
  $("status").classList.add("error");
  console.warn(e?.traceback ?? e);
}

const MB = (n) => (n / 1e6).toFixed(1);

/** The progress bar at `fraction` (0..1), or indeterminate (null) with `text` beside it. */
function setProgress(fraction, text) {
  const bar = $("progress");
  if (fraction === null || !Number.isFinite(fraction)) bar.removeAttribute("value");
  else bar.value = fraction;
  $("progress-text").textContent = text;
}

// NOTE [ Boot progress ] in index.mjs: the phases init() reports, as the page says them.
const PHASES = {
  download: "Downloading Python", python: "Starting Python", install: "Installing torsh-data",
  import: "Importing torsh-data", snapshot: "Saving a snapshot for the next visit", ready: "Python is ready",
};

function showBoot({ phase, loaded, total }) {
  state.boot.push({ phase, loaded, total });
  const bytes = total ? `${MB(loaded)} / ${MB(total)} MB` : loaded ? `${MB(loaded)} MB` : "";
  if ($("status").dataset.phase !== phase) { // announced once per phase (aria-live)
    $("status").dataset.phase = phase;
    $("status").textContent = `${PHASES[phase] ?? phase}…`;
  }
  $("progress-label").textContent = "Starting";
  setProgress(phase === "download" && total ? loaded / total : phase === "ready" ? 1 : null,
    phase === "download" ? bytes : `${PHASES[phase] ?? phase} (${MB(loaded)} MB downloaded)`);
}

function showProgress(loader) {
  $("progress-label").textContent = "Loading";
  const tick = () => {
    const p = loader.progress; // null: the total is unknown (a compressed response)
    const mb = loader.loadedBytes === undefined ? "" : ` (${MB(loader.loadedBytes)} MB)`;
    setProgress(p, p === null ? `${mb.slice(2, -1) || "…"}` : `${Math.round(p * 100)} %${mb}`);
  };
  const timer = setInterval(tick, 50);
  return () => { clearInterval(timer); tick(); };
}

function showSchema(schema) {
  const rows = schema.map((f) => `<tr><td>${f.name}</td><td>${f.dtype}</td><td>[${f.shape.join(", ")}]</td><td>${f.kind}</td></tr>`);
  $("schema").innerHTML = "<tr><th>field</th><th>dtype</th><th>shape (per sample)</th><th>kind</th></tr>" + rows.join("");
}

function imageGrid(field, max = 48) {
  const [n, h, w, c = 1] = field.shape;
  const out = document.createElement("div");
  for (let k = 0; k < Math.min(n, max); k++) {
    const canvas = document.createElement("canvas");
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(w, h);
    for (let i = 0; i < h * w; i++) {
      const at = (k * h * w + i) * c;
      const [r, g, b] = c >= 3 ? [field.data[at], field.data[at + 1], field.data[at + 2]] : [field.data[at], field.data[at], field.data[at]];
      img.data.set([r, g, b, 255], i * 4);
    }
    ctx.putImageData(img, 0, 0);
    out.append(canvas);
  }
  return out;
}

function table(batch, schema, max = 12) {
  const names = schema.map((f) => f.name);
  const first = batch[names[0]];
  const n = Math.min(first.shape ? first.shape[0] : first.length, max);
  const cell = (v) => (typeof v === "number" ? (Number.isInteger(v) ? v : v.toFixed(3)) : String(v));
  const rows = [];
  for (let i = 0; i < n; i++) {
    const cells = names.map((k) => {
      const f = batch[k];
      if (!f.shape) return cell(f[i]);
      const per = f.shape.slice(1).reduce((a, b) => a * b, 1);
      return Array.from(f.data.subarray(i * per, (i + 1) * per), (v) => cell(Number(v))).join(", ");
    });
    rows.push(`<tr>${cells.map((c) => `<td>${c}</td>`).join("")}</tr>`);
  }
  const t = document.createElement("table");
  t.innerHTML = `<tr>${names.map((k) => `<th>${k}</th>`).join("")}</tr>${rows.join("")}`;
  return t;
}

function tokens(batch, max = 8) {
  const div = document.createElement("div");
  (batch.tokens ?? batch.text.map((s) => s.split(" "))).slice(0, max).forEach((toks) => {
    const p = document.createElement("p");
    for (const t of toks) {
      const s = document.createElement("span");
      s.className = "tok"; s.textContent = t; p.append(s);
    }
    div.append(p);
  });
  return div;
}

function preview(batch, schema) {
  const box = $("preview");
  box.replaceChildren();
  const image = schema.find((f) => f.kind === "image");
  if (image) box.append(imageGrid(batch[image.name]));
  else if (schema.some((f) => f.name === "tokens" || f.name === "text")) box.append(tokens(batch));
  else box.append(table(batch, schema));
}

async function epoch(loader) {
  loader.reset();
  const t0 = performance.now();
  let batches = 0, samples = 0;
  for await (const b of loader) {
    batches++;
    const f = Object.values(b)[0];
    samples += f.shape ? f.shape[0] : f.length;
  }
  const ms = performance.now() - t0;
  const e = { batches, samples, ms };
  state.epochs.push(e);
  $("throughput").textContent = `${(batches / ms * 1000).toFixed(0)} batches/s, ${(samples / ms * 1000).toFixed(0)} samples/s (${batches} batches in ${ms.toFixed(0)} ms)`;
  return e;
}

let current = null;

async function load(how, what, label) {
  try {
    $("status").classList.remove("error");
    $("status").textContent = `Loading ${label}…`;
    state.error = null;
    clearDataset();
    current?.destroy();
    current = null;
    const tokenize = /\.txt$/.test(label);
    const loader = (current = new WasmDataLoader(Number($("batch").value) || 32, {
      shuffle: $("shuffle").checked, seed: 0, cache: "torsh-demo", tokenize,
      ...(/flowers\.csv$/.test(label) ? { label: "label" } : {}),
    }));
    const done = showProgress(loader);
    const t0 = performance.now();
    try { await loader[how](what); } finally { done(); }
    const first = await loader.nextBatch();
    const firstAt = performance.now();
    const info = { label, how, fromCache: loader.fromCache, samples: loader.samples, len: loader.len,
      loadMs: firstAt - t0, firstBatchAt: firstAt, schema: loader.schema, timings: loader.timings };
    state.loads.push(info);
    $("source").textContent = label;
    $("cache").innerHTML = how === "load_from_url"
      ? (loader.fromCache ? '<span class="hit">hit (IndexedDB)</span>' : '<span class="miss">miss: downloaded, now cached</span>')
      : "not cached (local file)";
    $("samples").textContent = loader.streaming
      ? `streaming (larger than inMemoryBytes; counted at the end of the epoch) (${loader.format})`
      : `${loader.samples} in ${loader.len} batches (${loader.format})`;
    if (state.loads.length === 1) $("first").textContent = `${firstAt.toFixed(0)} ms`;
    showSchema(loader.schema);
    if (first) preview(first, loader.schema);
    $("status").textContent = `Loaded ${label}.`;
    $("epoch").disabled = false;
    await epoch(loader);
  } catch (e) {
    current?.destroy();
    current = null;
    clearDataset();
    fail(e);
  }
}

async function main() {
  const caps = capabilities();
  $("caps").textContent = Object.entries(caps).map(([k, v]) => `${k}: ${v}`).join(" · ");
  const t0 = performance.now();
  const rt = await init({ indexURL: new URL("./vendor/pyodide/", import.meta.url).href, onProgress: showBoot });
  state.initMs = performance.now() - t0;
  state.initTimings = rt.timings;
  state.snapshotSaved = rt.snapshotSaved; // resolves once the next visit can restore it
  $("load-dataset").onclick = () => load("load_from_url", $("dataset").value, $("dataset").value);
  $("url-form").onsubmit = (e) => { e.preventDefault(); load("load_from_url", $("url").value, $("url").value); };
  $("file").onchange = () => { const f = $("file").files[0]; if (f) load("load_from_file", f, f.name); };
  const drop = $("drop");
  drop.onkeydown = (e) => { // a button's keys: Enter and Space open the file picker
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("file").click(); }
  };
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add("over"); };
  drop.ondragleave = () => drop.classList.remove("over");
  drop.ondrop = (e) => {
    e.preventDefault(); drop.classList.remove("over");
    const f = e.dataTransfer.files[0];
    if (f) load("load_from_file", f, f.name);
  };
  $("epoch").onclick = () => current && epoch(current);
  state.ready = true;
  await load("load_from_url", $("dataset").value, $("dataset").value);
  keepOffline();
}

main().catch(fail);
