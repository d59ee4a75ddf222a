/**
 * Writes an HDF5 test file with h5wasm: `build` adds groups and datasets, the file is closed
 * after; resolves with the path.
 */
import h5wasm from 'h5wasm/node';

export async function writeH5(
  path: string,
  build: (f: InstanceType<typeof h5wasm.File>) => void,
): Promise<string> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  try {
    build(f);
  } finally {
    f.close();
  }
  return path;
}
