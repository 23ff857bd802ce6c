// tools/pyodide/engines.mjs's crash report: a Chromium page whose renderer dies is reported
// with the reason Chromium gives (status and signal), not only "the page crashed".
//
// Run: node --test --test-reporter=spec tests/runtimes/engines.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";
import { launch, withTimeout } from "../../tools/pyodide/engines.mjs";

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
