// Entry file of every pool worker, thread or process. The bundle replaces it with a file that runs the same
// function from the bundle's core script, core.cjs (scripts/bundle.mjs).
import { serveWorker } from './serve-worker.js';

await serveWorker();
