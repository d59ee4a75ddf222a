/** neurobridge's tensor engine: libtorch through the project's N-API addon. */
export { Tensor, type DType, type AnyTypedArray, type Operand } from './tensor.js';
export { tidy, keep } from './scope.js';
export * from './create.js';
export * as F from './functional.js';
export { noGrad, grad, isGradEnabled, type GradOptions } from './autograd.js';
export { Module } from './module.js';
export * from './layers.js';
export { Adam, AdamW, clipGradNorm, type AdamOptions } from './optim.js';
export * from './schedule.js';
export { saveSafetensors, loadSafetensors, type SafetensorsFile } from './safetensors.js';
export * from './runtime.js';
export { nativeAvailable, blasIsReference, loadedBlasLibraries } from './native.js';
export { runInWorker, serveTask } from './worker.js';
export * from './checkpoint.js';
export { rotaryTables, applyRotary, type RotaryTables } from './rotary.js';
export { alibiSlopes, alibiSlopeTensor } from './alibi.js';
