// Worker entry: runs the engine demo off the main thread.
import { serveTask } from '../engine/worker.js';
import {
  runEngineDemo,
  type EngineDemoProgress,
  type EngineDemoResult,
} from '../pipelines/engine-demo.js';

await serveTask<{ seed: number }, EngineDemoProgress, EngineDemoResult>(({ seed }, report) =>
  runEngineDemo(seed, report),
);
