/**
 * The files a reader will consume for a given path, known before reading it, so a cache key
 * can be computed without parsing anything (and big raw `.dat` files are left out). Each
 * format's list comes from its descriptor's `inputFiles`.
 */
export { spikeInputFiles } from './registry.js';
