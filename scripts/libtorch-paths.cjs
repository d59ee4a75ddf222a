// Tells node-gyp where libtorch is: a LibTorch download named by $LIBTORCH (CPU or CUDA
// build), else the system install (Debian/Ubuntu `libtorch-dev`). Prints one gyp list.
const { existsSync, readFileSync } = require('node:fs');
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
      cmake: join(fromEnv, 'share', 'cmake', 'Torch', 'TorchConfig.cmake'),
    };
  }
  const systemApi = '/usr/include/torch/csrc/api/include';
  if (existsSync(systemApi)) {
    const multiarch = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib'].find(
      (d) => existsSync(join(d, 'libtorch.so')),
    );
    if (multiarch)
      return {
        includes: [systemApi],
        libDir: multiarch,
        cmake: join(multiarch, 'cmake', 'Torch', 'TorchConfig.cmake'),
      };
  }
  throw new Error(
    'libtorch not found: install it (Debian/Ubuntu: sudo apt-get install libtorch-dev ' +
      'libopenblas0-pthread) or set LIBTORCH to an unpacked LibTorch download',
  );
}

/**
 * LibTorch archives come in two C++ ABIs (pytorch.org: "Pre-cxx11 ABI" and "cxx11 ABI");
 * the addon must be compiled with the one its LibTorch was, which TorchConfig.cmake records
 * in TORCH_CXX_FLAGS. Without the file, the compiler's default (cxx11) is assumed.
 */
function cxx11Abi(cmakeFile) {
  if (!existsSync(cmakeFile)) return 1;
  const m = /_GLIBCXX_USE_CXX11_ABI=([01])/.exec(readFileSync(cmakeFile, 'utf8'));
  return m ? Number(m[1]) : 1;
}

const lt = findLibtorch();
const what = process.argv[2];
const cuda = existsSync(join(lt.libDir, 'libtorch_cuda.so'));
if (what === 'include') console.log(lt.includes.join(' '));
else if (what === 'libs')
  console.log(
    [`-L${lt.libDir}`, '-ltorch', '-ltorch_cpu', '-lc10', ...(cuda ? ['-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed'] : [])].join(' '),
  );
else if (what === 'defines') console.log(`_GLIBCXX_USE_CXX11_ABI=${cxx11Abi(lt.cmake)}`);
else if (what === 'rpath') console.log(`-Wl,-rpath,${lt.libDir}`);
else throw new Error(`usage: libtorch-paths.cjs include|libs|defines|rpath`);
