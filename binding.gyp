{
  "targets": [
    {
      "target_name": "neurobridge_native",
      "sources": ["native/addon.cc", "native/tensor.cc", "native/ops.cc", "native/nn.cc", "native/optim.cc", "native/causal-attention.cc", "native/hash-dropout.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/libtorch-paths.cjs include)"
      ],
      "libraries": ["<!@(node scripts/libtorch-paths.cjs libs)"],
      "ldflags": ["<!@(node scripts/libtorch-paths.cjs rpath)", "-fopenmp"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "<!@(node scripts/libtorch-paths.cjs defines)"]
    }
  ]
}
