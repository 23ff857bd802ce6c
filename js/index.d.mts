// The types of index.mjs for a path import (TypeScript looks for index.d.mts beside index.mjs).
export * from "./index.js";
export { default } from "./index.js";
