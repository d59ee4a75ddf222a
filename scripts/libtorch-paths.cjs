// Tells node-gyp where libtorch is: a LibTorch download named by $LIBTORCH (CPU or CUDA
// build), else the system install (Debian/Ubuntu `libtorch-dev`). Prints one gyp list.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

function findLibtorch() {
  const fromEnv = process.env.LIBTORCH;
  if (fromEnv) {
    if (!existsSync(join(fromEnv, 'include', 'torch'))) {
      throw new Error(`LIBTORCH=${fromEnv} has no include/torch: point it at an unpacked LibTorch`);
    }
    return {
      includes: [join(fromEnv, 'include'), join(fromEnv, 'include', 'torch', 'csrc', 'api', 'include')],
      libDir: join(fromEnv, 'lib'),
    };
  }
  const systemApi = '/usr/include/torch/csrc/api/include';
  if (existsSync(systemApi)) {
    const multiarch = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib'].find(
      (d) => existsSync(join(d, 'libtorch.so')),
    );
    if (multiarch) return { includes: [systemApi], libDir: multiarch };
  }
  throw new Error(
    'libtorch not found: install it (Debian/Ubuntu: sudo apt-get install libtorch-dev ' +
      'libopenblas0-pthread) or set LIBTORCH to an unpacked LibTorch download',
  );
}

const lt = findLibtorch();
const what = process.argv[2];
const cuda = existsSync(join(lt.libDir, 'libtorch_cuda.so'));
if (what === 'include') console.log(lt.includes.join(' '));
else if (what === 'libs')
  console.log(
    [`-L${lt.libDir}`, '-ltorch', '-ltorch_cpu', '-lc10', ...(cuda ? ['-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed'] : [])].join(' '),
  );
else if (what === 'rpath') console.log(`-Wl,-rpath,${lt.libDir}`);
else throw new Error(`usage: libtorch-paths.cjs include|libs|rpath`);
