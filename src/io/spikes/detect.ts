/**
 * Guesses a spike file's format from its path: folders by their file names, HDF5 files by
 * extension and then by which groups they contain, CSV files by their header. Each format's
 * rule lives in its descriptor; the order is the registry's.
 */
export { detectFormat } from './registry.js';
