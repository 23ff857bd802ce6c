// The JavaScript package under Node.js, and its TypeScript types (tests in js_suite.mjs).
// Run: node --experimental-wasm-stack-switching --test tests/runtimes/js.test.mjs
import { nodeTests, setUp } from "./js_suite.mjs";

setUp("node");
nodeTests();
