{
  "targets": [
    {
      "target_name": "rvos_native",
      "sources": ["src/addon.cc", "src/elementwise.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-fopenmp", "-fexceptions", "-ffp-contract=off", "-fno-trapping-math"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "libraries": ["-ldnnl", "-fopenmp"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
