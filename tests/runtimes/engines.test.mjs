// tools/pyodide/engines.mjs's Chromium: a page whose renderer dies is reported with the reason
// Chromium gives (status and signal), not only "the page crashed"; and Chromium runs with
// playwright-core's disabled features and the suite's own (CHROMIUM_DISABLED_FEATURES) in
// one switch, the only one Chromium honours.
//
// Run: node --test --test-reporter=spec tests/runtimes/engines.test.mjs
import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { CHROMIUM_DISABLED_FEATURES, launch, withTimeout } from "../../tools/pyodide/engines.mjs";

for (const [url, expected] of [
  ["chrome://crash", /^the page crashed \(crashed, signal or exit code 11\)$/],
  ["chrome://kill", /^the page crashed \(killed, signal or exit code \d+\)$/],
]) {
  test(`chromium: a renderer ended by ${url} is reported with its reason`, async () => {
    const s = await launch("chromium", { timeoutMs: 30_000 });
    try {
      s.goto(url).catch(() => {}); // the navigation fails with the renderer
      assert.match(await withTimeout(s.crashed, 20_000, "for the crash report"), expected);
    } finally {
      await s.close();
    }
  });
}

test("chromium: one --disable-features switch, with playwright-core's features and ours", async () => {
  const s = await launch("chromium", { timeoutMs: 30_000 });
  try {
    const cdp = await s.page.context().browser().newBrowserCDPSession();
    const { processInfo } = await cdp.send("SystemInfo.getProcessInfo");
    const browser = processInfo.find((p) => p.type === "browser");
    const argv = fs.readFileSync(`/proc/${browser.id}/cmdline`, "utf8").split("\0");
    const switches = argv.filter((a) => a.startsWith("--disable-features="));
    assert.equal(switches.length, 1, switches.join("\n"));
    const features = switches[0].slice("--disable-features=".length).split(",");
    for (const f of [...CHROMIUM_DISABLED_FEATURES, "PaintHolding", "HttpsUpgrades"]) {
      assert.ok(features.includes(f), `${f} not in ${switches[0]}`);
    }
  } finally {
    await s.close();
  }
});
