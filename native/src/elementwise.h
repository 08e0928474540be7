// The elementwise kernels of rvos_native (elementwise.cc), added to the addon's exports, and the
// N-API glue the addon's two source files share.
#pragma once
#include <node_api.h>

#include <cstddef>
#include <cstdint>

namespace rvos {

void DefineElementwise(napi_env env, napi_value exports, napi_property_attributes attrs);

// The arguments of a kernel that works on the wasm heap in place: (heap: Uint8Array, params:
// Float64Array).
struct HeapCall {
  uint8_t* heap = nullptr;
  size_t heap_len = 0;
  const double* params = nullptr;
  size_t params_len = 0;
};

// Reads (heap, params); throws a one-line TypeError naming `name` and returns false when there
// are fewer than two arguments, heap is not a Uint8Array, or params is not a Float64Array of at
// least `min_params` values.
bool ReadHeapCall(napi_env env, napi_callback_info info, const char* name, size_t min_params, HeapCall* out);

// One exported function: its JS name, its C++ implementation and the data it is called with.
struct Method {
  const char* name;
  napi_callback fn;
  void* data = nullptr;
};

// Defines `count` methods on `exports`, each with `attrs`.
void DefineMethods(napi_env env, napi_value exports, napi_property_attributes attrs, const Method* methods, size_t count);

template <size_t N>
void DefineMethods(napi_env env, napi_value exports, napi_property_attributes attrs, const Method (&methods)[N]) {
  DefineMethods(env, exports, attrs, methods, N);
}

}  // namespace rvos
