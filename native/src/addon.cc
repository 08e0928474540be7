// rvos_native: oneDNN convolutions that read and write the tfjs wasm backend's heap in place.
//
// JS passes the heap as a Uint8Array (re-read at every call: the wasm memory is replaced when it
// grows), byte offsets of the tensors on it, and the geometry as numbers. Activations stay NHWC
// on the heap; weights are described in tfjs's HWIO layout by strides, and reordered into the
// primitive's preferred (blocked) layout per call when it differs: weights change every
// training step, so a reordered copy cannot be kept across calls safely, and the reorder is
// small next to the convolution. Primitives, their reorders and buffers are cached per thread by
// geometry (least recently used evicted past kCacheCapacity), so the allocation count and bytes
// the addon reports are bounded whatever the run length.
#include <node_api.h>
#include <omp.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "dnnl.hpp"
#include "elementwise.h"

namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

// Parameter slots of the Float64Array every conv call passes (kept in sync with
// src/backend/native/addon.ts).
enum Slot {
  kKind, kBatch, kInH, kInW, kInC, kOutH, kOutW, kOutC, kKH, kKW, kSH, kSW, kDH, kDW,
  kPadT, kPadL, kPadB, kPadR, kGroups, kAct, kAlpha, kHasBias,
  kSrcOff, kWeiOff, kBiasOff, kDstOff, kNumSlots
};
enum Kind { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };
enum Act { kLinear = 0, kRelu = 1, kRelu6 = 2, kLeakyRelu = 3, kSigmoid = 4, kElu = 5 };

constexpr size_t kCacheCapacity = 256;
// Below this many FLOPs a convolution runs on one thread: waking a sleeping OpenMP thread costs
// tens of microseconds, as much as the whole convolution at this size.
constexpr double kParallelMinFlops = 8e6;

// Process-wide (every JS thread's cache counts), so atomic.
struct Counters {
  std::atomic<int64_t> entries{0};  // cache entries alive
  std::atomic<int64_t> bytes{0};    // bytes held by cache entries (weights copies, scratchpads)
  std::atomic<int64_t> created{0};  // entries ever created
  std::atomic<int64_t> calls{0};    // convolutions run
};
Counters g_counters;

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

struct Buffer {
  void* data = nullptr;
  size_t size = 0;
  explicit Buffer(size_t n) : size(n) {
    if (n > 0) {
      data = std::aligned_alloc(64, (n + 63) / 64 * 64);
      if (data == nullptr) throw std::bad_alloc();
      g_counters.bytes += static_cast<int64_t>(size);
    }
  }
  ~Buffer() {
    if (data != nullptr) {
      std::free(data);
      g_counters.bytes -= static_cast<int64_t>(size);
    }
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

struct Entry {
  dnnl::primitive prim;
  memory::desc src_md, wei_user_md, wei_prim_md, dst_md, bias_md;
  bool reorder_weights = false;  // forward/backward-data: user → primitive; backward-weights: primitive → user
  dnnl::reorder wei_reorder;
  std::unique_ptr<Buffer> wei_buf;
  std::unique_ptr<Buffer> scratch;
  memory::desc scratch_md;
  std::string impl;
  int threads = 1;  // OpenMP threads it was created for, and runs with
  Entry() { ++g_counters.entries; ++g_counters.created; }
  ~Entry() { --g_counters.entries; }
};

using Key = std::vector<int64_t>;
struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = 1469598103934665603ull;
    for (int64_t v : k) h = (h ^ static_cast<size_t>(v)) * 1099511628211ull;
    return h;
  }
};

struct ThreadCache {
  std::list<std::pair<Key, std::unique_ptr<Entry>>> lru;  // front = most recent
  std::unordered_map<Key, decltype(lru)::iterator, KeyHash> index;
  std::unique_ptr<dnnl::stream> stream;
  int threads = 0;  // setThreads for this JS thread (0: OpenMP's default)
};
thread_local ThreadCache t_cache;

memory::dims Dims(std::initializer_list<int64_t> v) { return memory::dims(v); }

// tfjs filter [kh, kw, in/groups, out] (conv) or [kh, kw, cin, mult] (depthwise), as strides.
memory::desc UserWeightsDesc(const double* p) {
  const int64_t kh = p[kKH], kw = p[kKW], oc = p[kOutC], ic = p[kInC], g = p[kGroups];
  if (g == 1) {
    return memory::desc(Dims({oc, ic, kh, kw}), dt::f32, Dims({1, oc, kw * ic * oc, ic * oc}));
  }
  // Depthwise: groups = cin, one input channel per group, mult = oc / cin outputs per group.
  const int64_t mult = oc / g;
  return memory::desc(Dims({g, mult, 1, kh, kw}), dt::f32, Dims({mult, 1, 1, kw * g * mult, g * mult}));
}

memory::desc AnyWeightsDesc(const double* p) {
  const int64_t kh = p[kKH], kw = p[kKW], oc = p[kOutC], ic = p[kInC], g = p[kGroups];
  if (g == 1) return memory::desc(Dims({oc, ic, kh, kw}), dt::f32, tag::any);
  return memory::desc(Dims({g, oc / g, 1, kh, kw}), dt::f32, tag::any);
}

std::unique_ptr<Entry> Build(const double* p) {
  auto e = std::make_unique<Entry>();
  const int64_t n = p[kBatch];
  e->src_md = memory::desc(Dims({n, (int64_t)p[kInC], (int64_t)p[kInH], (int64_t)p[kInW]}), dt::f32, tag::nhwc);
  e->dst_md = memory::desc(Dims({n, (int64_t)p[kOutC], (int64_t)p[kOutH], (int64_t)p[kOutW]}), dt::f32, tag::nhwc);
  e->wei_user_md = UserWeightsDesc(p);
  const memory::desc wei_any = AnyWeightsDesc(p);
  const memory::dims strides = Dims({(int64_t)p[kSH], (int64_t)p[kSW]});
  const memory::dims dilates = Dims({(int64_t)p[kDH], (int64_t)p[kDW]});
  const memory::dims pad_l = Dims({(int64_t)p[kPadT], (int64_t)p[kPadL]});
  const memory::dims pad_r = Dims({(int64_t)p[kPadB], (int64_t)p[kPadR]});
  const auto alg = dnnl::algorithm::convolution_direct;
  const int kind = static_cast<int>(p[kKind]);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);

  // The forward descriptor: the primitive for kind 0, the hint for the backward ones.
  const bool has_bias = kind == kForward && p[kHasBias] != 0;
  if (has_bias) e->bias_md = memory::desc(Dims({(int64_t)p[kOutC]}), dt::f32, tag::a);
  auto fwd_desc = has_bias
      ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, e->src_md, wei_any, e->bias_md, e->dst_md, strides, dilates, pad_l, pad_r)
      : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, e->src_md, wei_any, e->dst_md, strides, dilates, pad_l, pad_r);

  if (kind == kForward) {
    const int act = static_cast<int>(p[kAct]);
    if (act != kLinear) {
      dnnl::post_ops ops;
      const float alpha = static_cast<float>(p[kAlpha]);
      switch (act) {
        case kRelu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f); break;
        case kRelu6: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f); break;
        case kLeakyRelu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, alpha, 0.f); break;
        case kSigmoid: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_logistic, 0.f, 0.f); break;
        case kElu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_elu, 1.f, 0.f); break;
        default: throw std::runtime_error("unsupported activation");
      }
      attr.set_post_ops(ops);
    }
    dnnl::convolution_forward::primitive_desc pd(fwd_desc, attr, Engine());
    e->wei_prim_md = pd.weights_desc();
    e->scratch_md = pd.scratchpad_desc();
    e->impl = pd.impl_info_str();
    e->prim = dnnl::convolution_forward(pd);
  } else if (kind == kBackwardData) {
    dnnl::convolution_forward::primitive_desc hint(fwd_desc, Engine());
    dnnl::convolution_backward_data::desc d(alg, e->src_md, wei_any, e->dst_md, strides, dilates, pad_l, pad_r);
    dnnl::convolution_backward_data::primitive_desc pd(d, attr, Engine(), hint);
    e->wei_prim_md = pd.weights_desc();
    e->scratch_md = pd.scratchpad_desc();
    e->impl = pd.impl_info_str();
    e->prim = dnnl::convolution_backward_data(pd);
  } else if (kind == kBackwardWeights) {
    dnnl::convolution_forward::primitive_desc hint(fwd_desc, Engine());
    dnnl::convolution_backward_weights::desc d(alg, e->src_md, wei_any, e->dst_md, strides, dilates, pad_l, pad_r);
    dnnl::convolution_backward_weights::primitive_desc pd(d, attr, Engine(), hint);
    e->wei_prim_md = pd.diff_weights_desc();
    e->scratch_md = pd.scratchpad_desc();
    e->impl = pd.impl_info_str();
    e->prim = dnnl::convolution_backward_weights(pd);
  } else {
    throw std::runtime_error("unknown convolution kind");
  }
  e->reorder_weights = e->wei_prim_md != e->wei_user_md;
  if (e->reorder_weights) {
    e->wei_buf = std::make_unique<Buffer>(e->wei_prim_md.get_size());
    if (kind == kBackwardWeights) {
      e->wei_reorder = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), e->wei_prim_md, Engine(), e->wei_user_md));
    } else {
      e->wei_reorder = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), e->wei_user_md, Engine(), e->wei_prim_md));
    }
  }
  e->scratch = std::make_unique<Buffer>(e->scratch_md.get_size());
  return e;
}

int ThreadsFor(const double* p) {
  const int configured = t_cache.threads > 0 ? t_cache.threads : omp_get_max_threads();
  const double flops = 2.0 * p[kBatch] * p[kOutH] * p[kOutW] * p[kKH] * p[kKW] * (p[kInC] / p[kGroups]) * p[kOutC];
  return flops < kParallelMinFlops ? 1 : configured;
}

// oneDNN sizes its work split by the threads at creation, so a primitive is created and run with
// the same count: the count is part of the key.
Entry& Lookup(const double* p) {
  Key key(p, p + kSrcOff);  // geometry only, not the offsets
  const int threads = ThreadsFor(p);
  key.push_back(threads);
  omp_set_num_threads(threads);
  auto& c = t_cache;
  auto it = c.index.find(key);
  if (it != c.index.end()) {
    c.lru.splice(c.lru.begin(), c.lru, it->second);
    return *c.lru.front().second;
  }
  auto entry = Build(p);
  entry->threads = threads;
  c.lru.emplace_front(key, std::move(entry));
  c.index[key] = c.lru.begin();
  while (c.lru.size() > kCacheCapacity) {
    c.index.erase(c.lru.back().first);
    c.lru.pop_back();
  }
  return *c.lru.front().second;
}

dnnl::stream& Stream() {
  if (!t_cache.stream) t_cache.stream = std::make_unique<dnnl::stream>(Engine());
  return *t_cache.stream;
}

void Run(uint8_t* heap, size_t heap_len, const double* p) {
  Entry& e = Lookup(p);
  const int kind = static_cast<int>(p[kKind]);
  // Bounds: every tensor must lie inside the heap the caller passed.
  auto check = [&](double off, size_t bytes) {
    if (off < 0 || static_cast<size_t>(off) + bytes > heap_len) throw std::runtime_error("tensor outside the wasm heap");
    return heap + static_cast<size_t>(off);
  };
  uint8_t* src = check(p[kSrcOff], e.src_md.get_size());
  uint8_t* wei = check(p[kWeiOff], e.wei_user_md.get_size());
  uint8_t* dst = check(p[kDstOff], e.dst_md.get_size());
  dnnl::engine& eng = Engine();
  dnnl::stream& s = Stream();
  memory src_m(e.src_md, eng, src), dst_m(e.dst_md, eng, dst), wei_user_m(e.wei_user_md, eng, wei);
  memory scratch_m(e.scratch_md, eng, e.scratch->data);
  memory wei_m = e.reorder_weights ? memory(e.wei_prim_md, eng, e.wei_buf->data) : wei_user_m;
  if (kind == kForward) {
    if (e.reorder_weights) e.wei_reorder.execute(s, wei_user_m, wei_m);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src_m}, {DNNL_ARG_WEIGHTS, wei_m}, {DNNL_ARG_DST, dst_m}, {DNNL_ARG_SCRATCHPAD, scratch_m}};
    if (p[kHasBias] != 0) args.emplace(DNNL_ARG_BIAS, memory(e.bias_md, eng, check(p[kBiasOff], e.bias_md.get_size())));
    e.prim.execute(s, args);
  } else if (kind == kBackwardData) {
    // src = dx (written), dst = dy (read).
    if (e.reorder_weights) e.wei_reorder.execute(s, wei_user_m, wei_m);
    e.prim.execute(s, {{DNNL_ARG_DIFF_SRC, src_m}, {DNNL_ARG_WEIGHTS, wei_m}, {DNNL_ARG_DIFF_DST, dst_m}, {DNNL_ARG_SCRATCHPAD, scratch_m}});
  } else {
    // src = x (read), dst = dy (read), weights = dW (written).
    e.prim.execute(s, {{DNNL_ARG_SRC, src_m}, {DNNL_ARG_DIFF_WEIGHTS, wei_m}, {DNNL_ARG_DIFF_DST, dst_m}, {DNNL_ARG_SCRATCHPAD, scratch_m}});
    if (e.reorder_weights) e.wei_reorder.execute(s, wei_m, wei_user_m);
  }
  s.wait();
  ++g_counters.calls;
}

// ---- N-API glue ----

#define CHECK_NAPI(call)                                   \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      napi_throw_error(env, nullptr, "rvos_native: N-API call failed: " #call); \
      return nullptr;                                      \
    }                                                      \
  } while (0)

napi_value Number(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

// conv(heap: Uint8Array, params: Float64Array) → undefined; throws on a oneDNN error.
napi_value Conv(napi_env env, napi_callback_info info) {
  rvos::HeapCall call;
  if (!rvos::ReadHeapCall(env, info, "conv", kNumSlots, &call)) return nullptr;
  try {
    Run(call.heap, call.heap_len, call.params);
  } catch (const dnnl::error& err) {
    napi_throw_error(env, nullptr, (std::string("oneDNN: ") + err.what()).c_str());
  } catch (const std::exception& err) {
    napi_throw_error(env, nullptr, err.what());
  }
  return nullptr;
}

// implementation(params) → the oneDNN implementation name chosen for this geometry.
napi_value Implementation(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  napi_typedarray_type type;
  size_t len = 0, offset = 0;
  void* params = nullptr;
  napi_value ab;
  CHECK_NAPI(napi_get_typedarray_info(env, argv[0], &type, &len, &params, &ab, &offset));
  if (type != napi_float64_array || len < kNumSlots) {
    napi_throw_type_error(env, nullptr, "implementation: params must be a Float64Array");
    return nullptr;
  }
  try {
    const std::string& impl = Lookup(static_cast<const double*>(params)).impl;
    napi_value out;
    napi_create_string_utf8(env, impl.c_str(), impl.size(), &out);
    return out;
  } catch (const std::exception& err) {
    napi_throw_error(env, nullptr, err.what());
    return nullptr;
  }
}

// setThreads(n): OpenMP threads for this JS thread's convolutions (the setting is per thread;
// applied per call, small convolutions use one).
napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t n = 1;
  CHECK_NAPI(napi_get_value_int32(env, argv[0], &n));
  t_cache.threads = n < 1 ? 1 : n;
  return nullptr;
}

napi_value Threads(napi_env env, napi_callback_info) { return Number(env, t_cache.threads > 0 ? t_cache.threads : omp_get_max_threads()); }

// stats() → { entries, bytes, created, calls, cacheCapacity }.
napi_value Stats(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "entries", Number(env, static_cast<double>(g_counters.entries.load())));
  napi_set_named_property(env, out, "bytes", Number(env, static_cast<double>(g_counters.bytes.load())));
  napi_set_named_property(env, out, "created", Number(env, static_cast<double>(g_counters.created.load())));
  napi_set_named_property(env, out, "calls", Number(env, static_cast<double>(g_counters.calls.load())));
  napi_set_named_property(env, out, "cacheCapacity", Number(env, static_cast<double>(kCacheCapacity)));
  return out;
}

// clearCache(): drops this thread's primitives and buffers.
napi_value ClearCache(napi_env env, napi_callback_info) {
  t_cache.index.clear();
  t_cache.lru.clear();
  return nullptr;
}

napi_value Version(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  napi_value out;
  const char* runtime = v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB" : "other";
  std::string text = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) + " " + runtime;
  napi_create_string_utf8(env, text.c_str(), text.size(), &out);
  return out;
}

}  // namespace

// Writable like an ordinary JS method (benchmarks wrap `conv` to trace calls).
constexpr napi_property_attributes kMethod = static_cast<napi_property_attributes>(napi_writable | napi_configurable);

NAPI_MODULE_INIT() {
  const rvos::Method methods[] = {
      {"conv", Conv},   {"implementation", Implementation}, {"setThreads", SetThreads}, {"threads", Threads},
      {"stats", Stats}, {"clearCache", ClearCache},         {"version", Version},
  };
  rvos::DefineMethods(env, exports, kMethod, methods);
  rvos::DefineElementwise(env, exports, kMethod);
  return exports;
}
