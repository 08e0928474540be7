// rvos_native elementwise kernels: the training step's fused kernels (batch norm forward and
// backward, the gradients of ReLU, Square, Mean and Max, the ConvLSTM gates' loops, Adam, the
// input normalisation) and strided copies, as plain C++ loops
// over float32 arrays. The TypeScript versions (src/backend/fused_kernels/) are the reference:
// every loop here performs the same operations in the same order and precision (sums in double,
// rounded once), and the build keeps floating-point contraction off (-ffp-contract=off), so the
// results are the same bit for bit. The loops vectorise across channels or elements, never across
// a sum's terms, which is what keeps the order. Two kernels on the wasm heap are not a built-in
// kernel's bits and say so: tanh (tanhHeap, lstmStateTanh) and ResizeBilinearGrad.
//
// Arrays come from JS as Float32Array views: on the wasm backend views of the heap, on the cpu
// backend the tensors' own arrays; no values are kept between calls and nothing is allocated on
// the heap except per-channel scratch (std::vector, freed on return) and ResizeBilinearGrad's
// double accumulators (thread_local, reused from call to call).
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "elementwise.h"

namespace rvos {
namespace {

// Each hot loop is compiled for AVX-512, AVX2 and the baseline, picked at load time by the CPU
// (GCC function multiversioning); the results do not depend on the clone (no contraction, and the
// same operations per element).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define RVOS_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define RVOS_CLONES
#endif

// A typed array's data and length, borrowed from JS for the length of one call.
template <typename T>
struct View {
  T* data = nullptr;
  size_t length = 0;
};
using F32 = View<float>;
using F64 = View<const double>;

// Reads `v` into `out` when it is a typed array of `type`; returns false otherwise.
template <typename T>
bool ReadView(napi_env env, napi_value v, napi_typedarray_type type, View<T>* out) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type actual;
  napi_value ab;
  size_t offset = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, v, &actual, &out->length, &data, &ab, &offset) != napi_ok) return false;
  if (actual != type) return false;
  out->data = static_cast<T*>(data);
  return true;
}

bool ReadNumber(napi_env env, napi_value v, double* out) { return napi_get_value_double(env, v, out) == napi_ok; }

// A kernel's body: the arguments its Kernel describes, read and checked.
using KernelBody = napi_value (*)(napi_env env, const F32* arrays, const double* numbers, const F64& geometry);

// A kernel called from JS as (`n_arrays` Float32Arrays, `n_numbers` numbers[, a Float64Array
// geometry when `geometry`]): at most kMaxArgs arguments in all.
struct Kernel {
  const char* name;
  size_t n_arrays;
  size_t n_numbers;
  bool geometry;
  KernelBody body;
};
constexpr size_t kMaxArgs = 16;

constexpr bool ArgsFit(const Kernel* kernels, size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (kernels[i].n_arrays + kernels[i].n_numbers + (kernels[i].geometry ? 1 : 0) > kMaxArgs) return false;
  }
  return true;
}

// The N-API function of every Kernel (the Kernel is the function's data): reads the arguments,
// throws a TypeError naming the kernel when they are not there, else runs the body.
napi_value CallKernel(napi_env env, napi_callback_info info) {
  napi_value argv[kMaxArgs];
  size_t argc = kMaxArgs;
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, &data) != napi_ok || data == nullptr) {
    napi_throw_error(env, nullptr, "rvos_native: kernel called without its description");
    return nullptr;
  }
  const Kernel& k = *static_cast<const Kernel*>(data);
  if (argc < k.n_arrays + k.n_numbers) {
    napi_throw_type_error(env, nullptr, (std::string(k.name) + ": wrong number of arguments").c_str());
    return nullptr;
  }
  F32 arrays[kMaxArgs];
  double numbers[kMaxArgs];
  F64 geometry;
  for (size_t i = 0; i < k.n_arrays; i++) {
    if (!ReadView(env, argv[i], napi_float32_array, &arrays[i])) {
      napi_throw_type_error(env, nullptr, (std::string(k.name) + ": argument " + std::to_string(i) + " must be a Float32Array").c_str());
      return nullptr;
    }
  }
  for (size_t i = 0; i < k.n_numbers; i++) {
    if (!ReadNumber(env, argv[k.n_arrays + i], &numbers[i])) {
      napi_throw_type_error(env, nullptr, (std::string(k.name) + ": argument " + std::to_string(k.n_arrays + i) + " must be a number").c_str());
      return nullptr;
    }
  }
  const size_t g = k.n_arrays + k.n_numbers;
  if (k.geometry && (argc <= g || !ReadView(env, argv[g], napi_float64_array, &geometry))) {
    napi_throw_type_error(env, nullptr, (std::string(k.name) + ": argument " + std::to_string(g) + " must be a Float64Array").c_str());
    return nullptr;
  }
  return k.body(env, arrays, numbers, geometry);
}

bool Fail(napi_env env, const char* name, const char* what) {
  napi_throw_range_error(env, nullptr, (std::string(name) + ": " + what).c_str());
  return false;
}

// ---- batch norm (channels last: x is [rows, C]) ----

RVOS_CLONES
void SumShifted(const float* x, size_t rows, size_t c, const float* shift, double* sum, double* sq) {
  for (size_t r = 0; r < rows; r++) {
    const float* row = x + r * c;
    for (size_t j = 0; j < c; j++) {
      const double d = static_cast<double>(row[j]) - static_cast<double>(shift[j]);
      sum[j] += d;
      sq[j] += d * d;
    }
  }
}

RVOS_CLONES
void AffineRows(const float* x, size_t rows, size_t c, const double* a, const double* b, float* y) {
  for (size_t r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    for (size_t j = 0; j < c; j++) yr[j] = static_cast<float>(static_cast<double>(xr[j]) * a[j] + b[j]);
  }
}

RVOS_CLONES
void SumDy(const float* x, const float* dy, size_t rows, size_t c, const double* mean, double* sum_dy, double* sum_dyc) {
  for (size_t r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    const float* dr = dy + r * c;
    for (size_t j = 0; j < c; j++) {
      const double d = dr[j];
      sum_dy[j] += d;
      sum_dyc[j] += d * (static_cast<double>(xr[j]) - mean[j]);
    }
  }
}

RVOS_CLONES
void BnDx(const float* x, const float* dy, size_t rows, size_t c, const double* g, const double* m, const double* mean_dy, const double* mean_dyxhat,
          float* dx) {
  for (size_t r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    const float* dr = dy + r * c;
    float* out = dx + r * c;
    for (size_t j = 0; j < c; j++) {
      out[j] = static_cast<float>(g[j] * ((static_cast<double>(dr[j]) - mean_dy[j]) - (static_cast<double>(xr[j]) - m[j]) * mean_dyxhat[j]));
    }
  }
}

// bnForward(x, scale, offset, y, mean, variance, channels, epsilon): src/backend/fused_kernels/batch_norm_train.ts's forward.
napi_value BnForward(napi_env env, const F32* a, const double* num, const F64&) {
  const size_t c = static_cast<size_t>(num[0]);
  const double eps = num[1];
  const F32 &x = a[0], &scale = a[1], &offset = a[2], &y = a[3], &mean_out = a[4], &var_out = a[5];
  if (c == 0 || x.length % c != 0 || y.length != x.length || scale.length < c || offset.length < c || mean_out.length < c || var_out.length < c) {
    Fail(env, "bnForward", "array sizes do not match the channels");
    return nullptr;
  }
  const size_t rows = x.length / c;
  if (rows == 0) {
    Fail(env, "bnForward", "empty input");
    return nullptr;
  }
  const double n = static_cast<double>(rows);
  std::vector<double> sum(c, 0.0), sq(c, 0.0), ka(c), kb(c);
  SumShifted(x.data, rows, c, x.data, sum.data(), sq.data());
  bool any_nan = false;
  for (size_t j = 0; j < c; j++) {
    const double shift = x.data[j];
    const double mean = shift + sum[j] / n;
    const double centered = sum[j] / n;
    // Math.max(0, v) in the reference: NaN stays NaN, −0 becomes +0.
    const double v = sq[j] / n - centered * centered;
    const double variance = v > 0 ? v : (std::isnan(v) ? v : 0.0);
    mean_out.data[j] = static_cast<float>(mean);
    var_out.data[j] = static_cast<float>(variance);
    ka[j] = static_cast<double>(scale.data[j]) / std::sqrt(variance + eps);
    kb[j] = static_cast<double>(offset.data[j]) - mean * ka[j];
    if (std::isnan(ka[j]) || std::isnan(kb[j])) any_nan = true;
  }
  AffineRows(x.data, rows, c, ka.data(), kb.data(), y.data);
  if (any_nan) {
    // A channel with a non-finite value: a positive NaN there, as the separate ops give.
    const float qnan = std::numeric_limits<float>::quiet_NaN();
    for (size_t j = 0; j < c; j++) {
      if (!std::isnan(ka[j]) && !std::isnan(kb[j])) continue;
      for (size_t r = 0; r < rows; r++) y.data[r * c + j] = qnan;
    }
  }
  return nullptr;
}

// bnBackward(x, mean, variance, scale, dy, dx, dScale, dOffset, channels, epsilon).
napi_value BnBackward(napi_env env, const F32* a, const double* num, const F64&) {
  const size_t c = static_cast<size_t>(num[0]);
  const double eps = num[1];
  const F32 &x = a[0], &mean = a[1], &variance = a[2], &scale = a[3], &dy = a[4], &dx = a[5], &dscale = a[6], &doffset = a[7];
  if (c == 0 || x.length % c != 0 || x.length == 0 || dy.length != x.length || dx.length != x.length || mean.length < c || variance.length < c ||
      scale.length < c || dscale.length < c || doffset.length < c) {
    Fail(env, "bnBackward", "array sizes do not match the channels");
    return nullptr;
  }
  const size_t rows = x.length / c;
  const double n = static_cast<double>(rows);
  std::vector<double> m(c), sum_dy(c, 0.0), sum_dyc(c, 0.0), g(c), mean_dy(c), mean_dyxhat(c);
  for (size_t j = 0; j < c; j++) m[j] = mean.data[j];
  SumDy(x.data, dy.data, rows, c, m.data(), sum_dy.data(), sum_dyc.data());
  for (size_t j = 0; j < c; j++) {
    const double r = 1.0 / std::sqrt(static_cast<double>(variance.data[j]) + eps);
    const double sum_dyxhat = sum_dyc[j] * r;
    g[j] = static_cast<double>(scale.data[j]) * r;
    mean_dy[j] = sum_dy[j] / n;
    mean_dyxhat[j] = (sum_dyxhat / n) * r;
    dscale.data[j] = static_cast<float>(sum_dyxhat);
    doffset.data[j] = static_cast<float>(sum_dy[j]);
  }
  BnDx(x.data, dy.data, rows, c, g.data(), m.data(), mean_dy.data(), mean_dyxhat.data(), dx.data);
  return nullptr;
}

// ---- elementwise gradients ----

RVOS_CLONES
void ReluGradLoop(const float* x, const float* dy, float* dx, size_t n) {
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  for (size_t k = 0; k < n; k++) {
    const float v = x[k];
    dx[k] = dy[k] * (v > 0.0f ? 1.0f : (v == v ? 0.0f : qnan));
  }
}

RVOS_CLONES
void SquareGradLoop(const float* x, const float* dy, float* dx, size_t n) {
  for (size_t k = 0; k < n; k++) dx[k] = dy[k] * (x[k] * 2.0f);
}

// reluGrad(x, dy, dx) and squareGrad(x, dy, dx): dy·step(x) and dy·(2x), as broadcast_grads.ts.
napi_value UnaryGrad(napi_env env, const F32* a, const char* name, void (*loop)(const float*, const float*, float*, size_t)) {
  if (a[1].length != a[0].length || a[2].length != a[0].length) {
    Fail(env, name, "x, dy and dx must have the same size");
    return nullptr;
  }
  loop(a[0].data, a[1].data, a[2].data, a[0].length);
  return nullptr;
}

napi_value ReluGrad(napi_env env, const F32* a, const double*, const F64&) { return UnaryGrad(env, a, "reluGrad", ReluGradLoop); }
napi_value SquareGrad(napi_env env, const F32* a, const double*, const F64&) { return UnaryGrad(env, a, "squareGrad", SquareGradLoop); }

// Runs of x's last axis against the reduced tensor (broadcast_grads.ts's forEachBroadcastRun):
// geometry = [rank, shape..., strides...] with the reduced tensor's stride per axis of x (0 on
// reduced axes). Calls run(k, offset, inner, step).
template <typename Run>
bool ForEachRun(const F64& geometry, size_t size, Run run) {
  if (geometry.length < 1) return false;
  const size_t rank = static_cast<size_t>(geometry.data[0]);
  if (geometry.length < 1 + 2 * rank || rank > 12) return false;
  size_t shape[12], strides[12], index[12] = {0};
  size_t total = 1;
  for (size_t a = 0; a < rank; a++) {
    shape[a] = static_cast<size_t>(geometry.data[1 + a]);
    strides[a] = static_cast<size_t>(geometry.data[1 + rank + a]);
    total *= shape[a];
  }
  if (total != size) return false;
  const size_t inner = rank == 0 ? 1 : shape[rank - 1];
  const size_t step = rank == 0 ? 0 : strides[rank - 1];
  if (inner == 0) return true;
  size_t offset = 0;
  for (size_t k = 0; k < size; k += inner) {
    run(k, offset, inner, step);
    for (size_t a = rank - 1; a-- > 0;) {
      offset += strides[a];
      if (++index[a] < shape[a]) break;
      offset -= shape[a] * strides[a];
      index[a] = 0;
    }
  }
  return true;
}

RVOS_CLONES
void MeanRun(const float* dy, float* dx, size_t inner, size_t step, float n) {
  if (step == 0) {
    const float v = dy[0] / n;
    for (size_t i = 0; i < inner; i++) dx[i] = v;
  } else {
    for (size_t i = 0; i < inner; i++) dx[i] = dy[i * step] / n;
  }
}

RVOS_CLONES
void MaxRun(const float* x, const float* y, const float* dy, float* dx, size_t inner, size_t step) {
  if (step == 0) {
    const float yv = y[0], d = dy[0];
    for (size_t i = 0; i < inner; i++) dx[i] = d * (x[i] == yv ? 1.0f : 0.0f);
  } else {
    for (size_t i = 0; i < inner; i++) dx[i] = dy[i * step] * (x[i] == y[i * step] ? 1.0f : 0.0f);
  }
}

// The largest reduced-tensor index a run touches, for the bounds check.
bool RunInside(size_t offset, size_t inner, size_t step, size_t length) { return inner == 0 || offset + (inner - 1) * step < length; }

// meanGrad(dy, dx, n, geometry): dx = dy / n broadcast over the reduced axes.
napi_value MeanGrad(napi_env env, const F32* a, const double* num, const F64& geometry) {
  const F32 &dy = a[0], &dx = a[1];
  const float n = static_cast<float>(num[0]);
  bool inside = true;
  const bool ok = ForEachRun(geometry, dx.length, [&](size_t k, size_t offset, size_t inner, size_t step) {
    if (!RunInside(offset, inner, step, dy.length)) {
      inside = false;
      return;
    }
    MeanRun(dy.data + offset, dx.data + k, inner, step, n);
  });
  if (!ok || !inside) Fail(env, "meanGrad", "geometry does not match the arrays");
  return nullptr;
}

// maxGrad(x, y, dy, dx, geometry): dx = dy · (x == y) broadcast over the reduced axes.
napi_value MaxGrad(napi_env env, const F32* a, const double*, const F64& geometry) {
  const F32 &x = a[0], &y = a[1], &dy = a[2], &dx = a[3];
  if (x.length != dx.length || y.length != dy.length) {
    Fail(env, "maxGrad", "x and dx, y and dy must have the same size");
    return nullptr;
  }
  bool inside = true;
  const bool ok = ForEachRun(geometry, dx.length, [&](size_t k, size_t offset, size_t inner, size_t step) {
    if (!RunInside(offset, inner, step, dy.length)) {
      inside = false;
      return;
    }
    MaxRun(x.data + k, y.data + offset, dy.data + offset, dx.data + k, inner, step);
  });
  if (!ok || !inside) Fail(env, "maxGrad", "geometry does not match the arrays");
  return nullptr;
}

// ---- ConvLSTM gates (src/backend/fused_kernels/lstm_gates.ts; gate order i, f, o, g) ----
// σ stays the backend's kernel; these are the loops after it (the forward equals the unfused ops
// bit for bit: on wasm lstmStateTanh's tanh is the Tanh kernel's, on cpu tanh is the backend's).
// z, σ(z) and dz are [P, 4F], the states [P, F].

// lstmPackG(z, g, f): g = z's g block.
napi_value LstmPackG(napi_env env, const F32* a, const double* num, const F64&) {
  const size_t f = static_cast<size_t>(num[0]);
  if (f == 0 || a[0].length != 4 * a[1].length || a[1].length % f != 0) return Fail(env, "lstmPackG", "sizes do not match 4·filters"), nullptr;
  const size_t rows = a[1].length / f;
  for (size_t r = 0; r < rows; r++) std::memcpy(a[1].data + r * f, a[0].data + r * 4 * f + 3 * f, f * sizeof(float));
  return nullptr;
}

RVOS_CLONES
void LstmCellLoop(const float* s, const float* t, const float* cs, float* c, size_t rows, size_t f) {
  for (size_t r = 0; r < rows; r++) {
    const float* sr = s + r * 4 * f;
    const float* tr = t + r * f;
    float* cr = c + r * f;
    if (cs == nullptr) {
      for (size_t j = 0; j < f; j++) cr[j] = sr[j] * tr[j];
    } else {
      const float* csr = cs + r * f;
      for (size_t j = 0; j < f; j++) cr[j] = sr[f + j] * csr[j] + sr[j] * tr[j];
    }
  }
}

// lstmCell(sig, tanhG, cSpatial, c, f): c = f·c_spatial + i·tanh(g), or i·tanh(g) when cSpatial is empty.
napi_value LstmCell(napi_env env, const F32* a, const double* num, const F64&) {
  const size_t f = static_cast<size_t>(num[0]);
  const F32 &s = a[0], &t = a[1], &cs = a[2], &c = a[3];
  if (f == 0 || s.length != 4 * c.length || t.length != c.length || (cs.length != 0 && cs.length != c.length) || c.length % f != 0) {
    return Fail(env, "lstmCell", "sizes do not match 4·filters"), nullptr;
  }
  LstmCellLoop(s.data, t.data, cs.length == 0 ? nullptr : cs.data, c.data, c.length / f, f);
  return nullptr;
}

RVOS_CLONES
void LstmHiddenLoop(const float* s, const float* tc, float* h, size_t rows, size_t f) {
  for (size_t r = 0; r < rows; r++) {
    const float* o = s + r * 4 * f + 2 * f;
    const float* tr = tc + r * f;
    float* hr = h + r * f;
    for (size_t j = 0; j < f; j++) hr[j] = o[j] * tr[j];
  }
}

// lstmHidden(sig, tanhC, h, f): h = o·tanh(c).
napi_value LstmHidden(napi_env env, const F32* a, const double* num, const F64&) {
  const size_t f = static_cast<size_t>(num[0]);
  if (f == 0 || a[0].length != 4 * a[2].length || a[1].length != a[2].length || a[2].length % f != 0) return Fail(env, "lstmHidden", "sizes do not match 4·filters"), nullptr;
  LstmHiddenLoop(a[0].data, a[1].data, a[2].data, a[2].length / f, f);
  return nullptr;
}

RVOS_CLONES
void LstmGradLoop(const float* s, const float* tg, const float* tch, const float* dh, const float* dc, const float* cs, float* dz, float* dcs, size_t rows,
                  size_t f) {
  for (size_t r = 0; r < rows; r++) {
    const float* sr = s + r * 4 * f;
    float* dzr = dz + r * 4 * f;
    const size_t q0 = r * f;
    for (size_t j = 0; j < f; j++) {
      const size_t q = q0 + j;
      const double i = sr[j], fg = sr[f + j], o = sr[2 * f + j], g = tg[q];
      const double tanh_c = tch[q], dhq = dh[q];
      const double dc_total = static_cast<double>(dc[q]) + dhq * o * (1 - tanh_c * tanh_c);
      dzr[j] = static_cast<float>(dc_total * g * i * (1 - i));
      dzr[f + j] = cs == nullptr ? 0.0f : static_cast<float>(dc_total * static_cast<double>(cs[q]) * fg * (1 - fg));
      dzr[2 * f + j] = static_cast<float>(dhq * tanh_c * o * (1 - o));
      dzr[3 * f + j] = static_cast<float>(dc_total * i * (1 - g * g));
      if (dcs != nullptr) dcs[q] = static_cast<float>(dc_total * fg);
    }
  }
}

// lstmGatesGrad(sig, tanhG, tanhC, dh, dc, cSpatial, dz, dcSpatial, f): the backward kernel's
// loop, in double as the TypeScript one; cSpatial and dcSpatial empty when there is no c_spatial.
napi_value LstmGatesGrad(napi_env env, const F32* a, const double* num, const F64&) {
  const size_t f = static_cast<size_t>(num[0]);
  const F32 &s = a[0], &tg = a[1], &tch = a[2], &dh = a[3], &dc = a[4], &cs = a[5], &dz = a[6], &dcs = a[7];
  const size_t n = tch.length;
  const bool spatial = cs.length != 0;
  if (f == 0 || n % f != 0 || s.length != 4 * n || dz.length != 4 * n || tg.length != n || dh.length != n || dc.length != n ||
      (spatial && (cs.length != n || dcs.length != n)) || (!spatial && dcs.length != 0)) {
    return Fail(env, "lstmGatesGrad", "sizes do not match 4·filters"), nullptr;
  }
  LstmGradLoop(s.data, tg.data, tch.data, dh.data, dc.data, spatial ? cs.data : nullptr, dz.data, spatial ? dcs.data : nullptr, n / f, f);
  return nullptr;
}

// ---- optimiser (src/backend/fused_kernels/adam_update.ts) ----

RVOS_CLONES
void AdamLoop(const float* x, const float* grad, const float* m_prev, const float* v_prev, float* x_next, float* m, float* v, size_t n, float b1, float ob1,
              float b2, float ob2, float c2, float eps, float step, float wd, bool decay) {
  for (size_t k = 0; k < n; k++) {
    const float xk = x[k];
    const float g = decay ? grad[k] + xk * wd : grad[k];
    const float mp = m_prev == nullptr ? 0.0f : m_prev[k];
    const float vp = v_prev == nullptr ? 0.0f : v_prev[k];
    const float mk = mp * b1 + g * ob1;
    const float vk = vp * b2 + (g * g) * ob2;
    const float denom = std::sqrt(vk / c2) + eps;
    m[k] = mk;
    v[k] = vk;
    x_next[k] = xk - (mk / denom) * step;
  }
}

// adamUpdate(x, grad, m, v, xNext, mNext, vNext, beta1, 1−beta1, beta2, 1−beta2, correction2,
// epsilon, stepSize, weightDecay): every hyperparameter already the float32 the ops saw; m and v
// empty on the first step (zeros). Each operation rounds to float32, as the separate kernels.
napi_value AdamUpdate(napi_env env, const F32* a, const double* num, const F64&) {
  const size_t n = a[0].length;
  const bool first = a[2].length == 0;
  if (a[1].length != n || a[4].length != n || a[5].length != n || a[6].length != n || (!first && (a[2].length != n || a[3].length != n))) {
    return Fail(env, "adamUpdate", "arrays must have the variable's size"), nullptr;
  }
  const float wd = static_cast<float>(num[7]);
  AdamLoop(a[0].data, a[1].data, first ? nullptr : a[2].data, first ? nullptr : a[3].data, a[4].data, a[5].data, a[6].data, n, static_cast<float>(num[0]),
           static_cast<float>(num[1]), static_cast<float>(num[2]), static_cast<float>(num[3]), static_cast<float>(num[4]), static_cast<float>(num[5]),
           static_cast<float>(num[6]), wd, num[7] > 0);
  return nullptr;
}

// sumOfSquares(x, start) → start + Σ x² in double, term by term in order (not vectorised: the
// order of the sum is the TypeScript one's).
napi_value SumOfSquares(napi_env env, const F32* a, const double* num, const F64&) {
  double sum = num[0];
  for (size_t k = 0; k < a[0].length; k++) {
    const double v = a[0].data[k];
    sum += v * v;
  }
  napi_value out;
  napi_create_double(env, sum, &out);
  return out;
}

// ---- input normalisation (src/backend/fused_kernels/normalize_input.ts) ----

// normalizeInput(frame, mean, std, previous, y, channels): y = (frame − mean)/std per channel,
// and with previous (non-empty) also (frame − previous)/std beside it.
napi_value NormalizeInput(napi_env env, const F32* a, const double* num, const F64&) {
  const size_t c = static_cast<size_t>(num[0]);
  const F32 &x = a[0], &mean = a[1], &sd = a[2], &prev = a[3], &y = a[4];
  const bool motion = prev.length != 0;
  const size_t width = motion ? 2 * c : c;
  if (c == 0 || x.length % c != 0 || mean.length < c || sd.length < c || (motion && prev.length != x.length) || y.length != x.length / c * width) {
    return Fail(env, "normalizeInput", "sizes do not match the channels"), nullptr;
  }
  for (size_t p = 0, q = 0; p < x.length; p += c, q += width) {
    for (size_t j = 0; j < c; j++) {
      const float v = x.data[p + j];
      y.data[q + j] = (v - mean.data[j]) / sd.data[j];
      if (motion) y.data[q + c + j] = (v - prev.data[p + j]) / sd.data[j];
    }
  }
  return nullptr;
}

// ---- strided copies on the wasm heap ----

// copyBlocks(heap: Uint8Array, params: Float64Array): params = [count, then per block: dst, src,
// bytes, rows, dstStride, srcStride] (byte offsets and strides): each block copies `rows` runs of
// `bytes` bytes. Slice, SplitV, Concat and Pack on the wasm heap (src/backend/wasm_kernels/
// fast_copies.ts) as one call instead of one copyWithin per run.
napi_value CopyBlocks(napi_env env, napi_callback_info info) {
  HeapCall call;
  if (!ReadHeapCall(env, info, "copyBlocks", 1, &call)) return nullptr;
  const double* p = call.params;
  const size_t count = static_cast<size_t>(p[0]);
  if (call.params_len < 1 + 6 * count) {
    Fail(env, "copyBlocks", "params shorter than its block count");
    return nullptr;
  }
  uint8_t* bytes = call.heap;
  // Check every block first: nothing is written when one is out of bounds.
  for (size_t b = 0; b < count; b++) {
    const double* q = p + 1 + 6 * b;
    const double dst = q[0], src = q[1], len = q[2], rows = q[3], ds = q[4], ss = q[5];
    if (dst < 0 || src < 0 || len < 0 || rows < 0 || ds < 0 || ss < 0) return Fail(env, "copyBlocks", "negative offset or size"), nullptr;
    if (rows == 0 || len == 0) continue;
    if (dst + (rows - 1) * ds + len > static_cast<double>(call.heap_len) || src + (rows - 1) * ss + len > static_cast<double>(call.heap_len)) {
      Fail(env, "copyBlocks", "block outside the heap");
      return nullptr;
    }
  }
  for (size_t b = 0; b < count; b++) {
    const double* q = p + 1 + 6 * b;
    const size_t dst = static_cast<size_t>(q[0]), src = static_cast<size_t>(q[1]), len = static_cast<size_t>(q[2]);
    const size_t rows = static_cast<size_t>(q[3]), ds = static_cast<size_t>(q[4]), ss = static_cast<size_t>(q[5]);
    for (size_t r = 0; r < rows; r++) std::memmove(bytes + dst + r * ds, bytes + src + r * ss, len);
  }
  return nullptr;
}

// ---- same-shape binary arithmetic on the wasm heap ----

enum BinaryOp { kAdd = 0, kSub = 1, kMul = 2 };

template <int Op>
RVOS_CLONES void BinaryLoop(const float* a, const float* b, float* out, size_t n, bool a_scalar, bool b_scalar) {
  auto f = [](float x, float y) { return Op == kAdd ? x + y : Op == kSub ? x - y : x * y; };
  if (a_scalar) {
    const float x = a[0];
    for (size_t k = 0; k < n; k++) out[k] = f(x, b[k]);
  } else if (b_scalar) {
    const float y = b[0];
    for (size_t k = 0; k < n; k++) out[k] = f(a[k], y);
  } else {
    for (size_t k = 0; k < n; k++) out[k] = f(a[k], b[k]);
  }
}

// binaryHeap(heap: Uint8Array, params: Float64Array [op, aOff, bOff, outOff, n, aScalar, bScalar]):
// out = a op b for float32 tensors on the heap (byte offsets), elementwise, either side possibly
// one value broadcast. IEEE float32 arithmetic: the wasm kernels' values.
napi_value BinaryHeap(napi_env env, napi_callback_info info) {
  HeapCall call;
  if (!ReadHeapCall(env, info, "binaryHeap", 7, &call)) return nullptr;
  const double* p = call.params;
  const int op = static_cast<int>(p[0]);
  const double n = p[4];
  const bool a_scalar = p[5] != 0, b_scalar = p[6] != 0;
  const double a_bytes = a_scalar ? 4 : 4 * n, b_bytes = b_scalar ? 4 : 4 * n;
  const double limit = static_cast<double>(call.heap_len);
  if (op < kAdd || op > kMul || n < 0 || p[1] < 0 || p[2] < 0 || p[3] < 0 || p[1] + a_bytes > limit || p[2] + b_bytes > limit || p[3] + 4 * n > limit ||
      static_cast<uint64_t>(p[1]) % 4 != 0 || static_cast<uint64_t>(p[2]) % 4 != 0 || static_cast<uint64_t>(p[3]) % 4 != 0) {
    Fail(env, "binaryHeap", "operation or tensor outside the heap");
    return nullptr;
  }
  uint8_t* bytes = call.heap;
  const float* a = reinterpret_cast<const float*>(bytes + static_cast<size_t>(p[1]));
  const float* b = reinterpret_cast<const float*>(bytes + static_cast<size_t>(p[2]));
  float* out = reinterpret_cast<float*>(bytes + static_cast<size_t>(p[3]));
  const size_t count = static_cast<size_t>(n);
  if (op == kAdd) BinaryLoop<kAdd>(a, b, out, count, a_scalar, b_scalar);
  else if (op == kSub) BinaryLoop<kSub>(a, b, out, count, a_scalar, b_scalar);
  else BinaryLoop<kMul>(a, b, out, count, a_scalar, b_scalar);
  return nullptr;
}

// ---- tanh (src/backend/wasm_kernels/native_tanh.ts, and inside lstmStateTanh) ----
// The wasm kernel's tanh (its libc's tanhf) is 1-2 ulp from the correctly rounded value on about
// a tenth of float inputs and is a scalar loop; a training step spent ~9% of its time in it. This
// one works in double and rounds once, so it is the correctly rounded value but for inputs whose
// tanh lies within ~1e-14 of a float rounding boundary (docs/speed.md, "tanh and
// ResizeBilinearGrad in C++"):
//   |x| < 2^-10: x - x³/3 (the next term, 2x⁵/15, is below 2^-42 relative);
//   |x| > 10:    ±1 (tanh(10) = 1 - 4e-9 rounds to 1 in float);
//   otherwise:   1 - 2/(e^(2|x|) + 1), whose cancellation costs ~1e-13 relative at most here.
// Branch-free, with its own e^y, so that a loop of it vectorises. tanh(-0) is -0, NaN stays NaN.

// e^y for 0 ≤ y ≤ 20, relative error ~1e-15: y = k·ln2 + r with |r| ≤ ln2/2 (ln2 in two parts, the
// first with trailing zero bits so that k·ln2_hi is exact), e^r by its Taylor series to r^12
// (the next term is below 2e-16), 2^k from the exponent bits.
inline double ExpSmall(double y) {
  const double k = std::floor(y * 1.4426950408889634 + 0.5);
  const double r = (y - k * 0x1.62e42fee00000p-1) - k * 0x1.a39ef35793c76p-33;
  double p = 1.0 / 479001600;  // 1/12!
  p = p * r + 1.0 / 39916800;
  p = p * r + 1.0 / 3628800;
  p = p * r + 1.0 / 362880;
  p = p * r + 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const int64_t bits = (static_cast<int64_t>(k) + 1023) << 52;
  double scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

inline float TanhF(float xf) {
  const double a = std::fabs(static_cast<double>(xf));
  // NaN: e^y runs on 0 (a NaN cast to an integer is undefined) and t is set to NaN below.
  const double clamped = a < 10 ? a : 10;
  const double e = ExpSmall(2 * (clamped == clamped ? clamped : 0));
  const double large = 1 - 2 / (e + 1);
  const double small = a - a * a * a / 3;
  double t = a < 0x1p-10 ? small : (a > 10 ? 1.0 : large);
  if (a != a) t = a;
  return std::copysign(static_cast<float>(t), xf);
}

RVOS_CLONES
void TanhLoop(const float* x, float* y, size_t n) {
  for (size_t k = 0; k < n; k++) y[k] = TanhF(x[k]);
}

// tanhHeap(heap, params [xOff, outOff, n]).
napi_value TanhHeap(napi_env env, napi_callback_info info) {
  HeapCall call;
  if (!ReadHeapCall(env, info, "tanhHeap", 3, &call)) return nullptr;
  const double* p = call.params;
  const double limit = static_cast<double>(call.heap_len);
  if (p[2] < 0 || p[0] < 0 || p[1] < 0 || p[0] + 4 * p[2] > limit || p[1] + 4 * p[2] > limit || static_cast<uint64_t>(p[0]) % 4 != 0 ||
      static_cast<uint64_t>(p[1]) % 4 != 0) {
    Fail(env, "tanhHeap", "tensor outside the heap");
    return nullptr;
  }
  TanhLoop(reinterpret_cast<const float*>(call.heap + static_cast<size_t>(p[0])), reinterpret_cast<float*>(call.heap + static_cast<size_t>(p[1])),
           static_cast<size_t>(p[2]));
  return nullptr;
}

// In passes over whole arrays, so that tanh's loop vectorises when F is smaller than a vector.
RVOS_CLONES
void LstmStateTanhLoop(const float* s, const float* z, const float* cs, float* c, float* h, float* tg, float* tc, size_t rows, size_t f) {
  const size_t n = rows * f;
  for (size_t r = 0; r < rows; r++) std::memcpy(tg + r * f, z + r * 4 * f + 3 * f, f * sizeof(float));
  TanhLoop(tg, tg, n);
  for (size_t r = 0; r < rows; r++) {
    const float* sr = s + r * 4 * f;
    const size_t q0 = r * f;
    if (cs == nullptr) {
      for (size_t j = 0; j < f; j++) c[q0 + j] = sr[j] * tg[q0 + j];
    } else {
      for (size_t j = 0; j < f; j++) c[q0 + j] = sr[f + j] * cs[q0 + j] + sr[j] * tg[q0 + j];
    }
  }
  TanhLoop(c, tc, n);
  for (size_t r = 0; r < rows; r++) {
    const float* o = s + r * 4 * f + 2 * f;
    for (size_t j = 0; j < f; j++) h[r * f + j] = o[j] * tc[r * f + j];
  }
}

// lstmStateTanh(sig, z, cSpatial, c, h, tanhG, tanhC, f): the gates' forward after σ in one pass,
// with tanhHeap's tanh: tanh(g) from z's g block, c = f·c_spatial + i·tanh(g) (or i·tanh(g) when
// cSpatial is empty), tanh(c), h = o·tanh(c); each product and sum rounded to float as
// lstmCell and lstmHidden round them.
napi_value LstmStateTanh(napi_env env, const F32* a, const double* num, const F64&) {
  const size_t f = static_cast<size_t>(num[0]);
  const F32 &s = a[0], &z = a[1], &cs = a[2], &c = a[3], &h = a[4], &tg = a[5], &tc = a[6];
  const size_t n = c.length;
  if (f == 0 || n % f != 0 || s.length != 4 * n || z.length != 4 * n || h.length != n || tg.length != n || tc.length != n ||
      (cs.length != 0 && cs.length != n)) {
    return Fail(env, "lstmStateTanh", "sizes do not match 4·filters"), nullptr;
  }
  LstmStateTanhLoop(s.data, z.data, cs.length == 0 ? nullptr : cs.data, c.data, h.data, tg.data, tc.data, n / f, f);
  return nullptr;
}

// ---- ResizeBilinearGrad on the wasm heap (src/backend/wasm_kernels/resize_bilinear_grad.ts) ----
// The adjoint of the forward's sampling, with the wasm kernel's source positions and fractions
// (in float: row r samples rows ⌊r·s⌋ and min(⌈r·s⌉, H−1) with fraction r·s − ⌊r·s⌋, s the
// float ratio of the sizes, less one each with aligned corners; columns alike), summed in double
// and rounded once. It is separable: each output row's gradient is first spread over the input
// columns (dy·(1 − fc), dy·fc), then that row over the two input rows it samples. The built-in
// kernel adds each of the four corner terms to the float gradient as it goes, so the two differ
// by float32 rounding (measured: a few ulp on a few elements in ten; docs/speed.md, "tanh and
// ResizeBilinearGrad in C++"). Per element the built-in kernel computes four 4-d offsets; this
// one's loops run along contiguous rows.

// low += v·keep, then high += v·take (low and high may be the same row: both terms land there).
template <typename T>
RVOS_CLONES void SpreadRow(const T* v, double* low, double* high, double keep, double take, size_t n) {
  for (size_t k = 0; k < n; k++) low[k] += static_cast<double>(v[k]) * keep;
  for (size_t k = 0; k < n; k++) high[k] += static_cast<double>(v[k]) * take;
}

struct ResizeSource {
  std::vector<int> low, high;
  std::vector<double> take;  // the fraction taken from `high`
};

template <bool kAlign>
ResizeSource SourcePositions(int in, int out) {
  const int shrink = kAlign && out > 1 ? 1 : 0;
  const float scale = static_cast<float>(in - shrink) / static_cast<float>(out - shrink);
  ResizeSource s;
  s.low.resize(out);
  s.high.resize(out);
  s.take.resize(out);
  for (int i = 0; i < out; i++) {
    const float pos = static_cast<float>(i) * scale;
    s.low[i] = static_cast<int>(pos);
    s.high[i] = std::min(static_cast<int>(std::ceil(pos)), in - 1);
    s.take[i] = pos - std::floor(pos);
  }
  return s;
}

template <bool kAlign>
void ResizeBilinearGradLoop(const float* dy, float* dx, int batch, int in_h, int in_w, int out_h, int out_w, int depth) {
  const ResizeSource rows = SourcePositions<kAlign>(in_h, out_h), cols = SourcePositions<kAlign>(in_w, out_w);
  const size_t d = static_cast<size_t>(depth), row_len = static_cast<size_t>(in_w) * d, image = static_cast<size_t>(in_h) * row_len;
  thread_local std::vector<double> acc, spread;
  acc.assign(image, 0.0);
  spread.resize(row_len);
  for (int b = 0; b < batch; b++) {
    if (b > 0) std::fill(acc.begin(), acc.end(), 0.0);
    for (int r = 0; r < out_h; r++) {
      std::fill(spread.begin(), spread.end(), 0.0);
      const float* g = dy + (static_cast<size_t>(b) * out_h + r) * out_w * d;
      for (int c = 0; c < out_w; c++) {
        const double take = cols.take[c], keep = 1.0 - take;
        SpreadRow(g + c * d, spread.data() + cols.low[c] * d, spread.data() + cols.high[c] * d, keep, take, d);
      }
      const double take = rows.take[r];
      SpreadRow(spread.data(), acc.data() + rows.low[r] * row_len, acc.data() + rows.high[r] * row_len, 1.0 - take, take, row_len);
    }
    float* out = dx + static_cast<size_t>(b) * image;
    for (size_t k = 0; k < image; k++) out[k] = static_cast<float>(acc[k]);
  }
}

// resizeBilinearGradHeap(heap, params [dyOff, dxOff, batch, inH, inW, outH, outW, depth, alignCorners]).
napi_value ResizeBilinearGradHeap(napi_env env, napi_callback_info info) {
  HeapCall call;
  if (!ReadHeapCall(env, info, "resizeBilinearGradHeap", 9, &call)) return nullptr;
  const double* p = call.params;
  const double limit = static_cast<double>(call.heap_len);
  const double dy_bytes = 4 * p[2] * p[5] * p[6] * p[7], dx_bytes = 4 * p[2] * p[3] * p[4] * p[7];
  bool ok = p[0] >= 0 && p[1] >= 0 && p[0] + dy_bytes <= limit && p[1] + dx_bytes <= limit && static_cast<uint64_t>(p[0]) % 4 == 0 &&
            static_cast<uint64_t>(p[1]) % 4 == 0;
  for (int i = 2; i < 8; i++) ok = ok && p[i] >= 1 && p[i] < 2147483647.0;
  if (!ok) {
    Fail(env, "resizeBilinearGradHeap", "shape or tensor outside the heap");
    return nullptr;
  }
  const float* dy = reinterpret_cast<const float*>(call.heap + static_cast<size_t>(p[0]));
  float* dx = reinterpret_cast<float*>(call.heap + static_cast<size_t>(p[1]));
  const int v[6] = {static_cast<int>(p[2]), static_cast<int>(p[3]), static_cast<int>(p[4]), static_cast<int>(p[5]), static_cast<int>(p[6]), static_cast<int>(p[7])};
  if (p[8] != 0) ResizeBilinearGradLoop<true>(dy, dx, v[0], v[1], v[2], v[3], v[4], v[5]);
  else ResizeBilinearGradLoop<false>(dy, dx, v[0], v[1], v[2], v[3], v[4], v[5]);
  return nullptr;
}

// ---- reductions over middle axes on the wasm heap ----

enum ReduceOp { kSum = 0, kMean = 1, kMax = 2 };

// x viewed as [outer, r, inner]: out[o, i] = the sum (mean, max) over r, each output's terms in
// order of r, as the built-in kernels take them after moving the reduced axes last.
template <int Op>
RVOS_CLONES void ReduceMiddleLoop(const float* x, float* out, size_t outer, size_t r, size_t inner) {
  for (size_t o = 0; o < outer; o++) {
    const float* xo = x + o * r * inner;
    float* acc = out + o * inner;
    if (Op == kMax) {
      for (size_t i = 0; i < inner; i++) acc[i] = xo[i];
      for (size_t k = 1; k < r; k++) {
        const float* row = xo + k * inner;
        // A NaN anywhere makes the maximum NaN, as the built-in kernel gives.
        for (size_t i = 0; i < inner; i++) acc[i] = (row[i] > acc[i] || row[i] != row[i]) ? row[i] : acc[i];
      }
    } else {
      for (size_t i = 0; i < inner; i++) acc[i] = 0.0f;
      for (size_t k = 0; k < r; k++) {
        const float* row = xo + k * inner;
        for (size_t i = 0; i < inner; i++) acc[i] += row[i];
      }
      if (Op == kMean) {
        const float n = static_cast<float>(r);
        for (size_t i = 0; i < inner; i++) acc[i] /= n;
      }
    }
  }
}

// reduceMiddle(heap, params [op, xOff, outOff, outer, r, inner]).
napi_value ReduceMiddle(napi_env env, napi_callback_info info) {
  HeapCall call;
  if (!ReadHeapCall(env, info, "reduceMiddle", 6, &call)) return nullptr;
  const double* p = call.params;
  const int op = static_cast<int>(p[0]);
  const double outer = p[3], r = p[4], inner = p[5];
  const double limit = static_cast<double>(call.heap_len);
  if (op < kSum || op > kMax || outer < 1 || r < 1 || inner < 1 || p[1] < 0 || p[2] < 0 || p[1] + 4 * outer * r * inner > limit ||
      p[2] + 4 * outer * inner > limit || static_cast<uint64_t>(p[1]) % 4 != 0 || static_cast<uint64_t>(p[2]) % 4 != 0) {
    Fail(env, "reduceMiddle", "operation or tensor outside the heap");
    return nullptr;
  }
  uint8_t* bytes = call.heap;
  const float* x = reinterpret_cast<const float*>(bytes + static_cast<size_t>(p[1]));
  float* out = reinterpret_cast<float*>(bytes + static_cast<size_t>(p[2]));
  const size_t no = static_cast<size_t>(outer), nr = static_cast<size_t>(r), ni = static_cast<size_t>(inner);
  if (op == kSum) ReduceMiddleLoop<kSum>(x, out, no, nr, ni);
  else if (op == kMean) ReduceMiddleLoop<kMean>(x, out, no, nr, ni);
  else ReduceMiddleLoop<kMax>(x, out, no, nr, ni);
  return nullptr;
}

}  // namespace

void DefineElementwise(napi_env env, napi_value exports, napi_property_attributes attrs) {
  // name, Float32Arrays, numbers, a geometry after them, body.
  static constexpr Kernel kernels[] = {
      {"bnForward", 6, 2, false, BnForward},         {"bnBackward", 8, 2, false, BnBackward},
      {"reluGrad", 3, 0, false, ReluGrad},           {"squareGrad", 3, 0, false, SquareGrad},
      {"meanGrad", 2, 1, true, MeanGrad},            {"maxGrad", 4, 0, true, MaxGrad},
      {"lstmPackG", 2, 1, false, LstmPackG},         {"lstmCell", 4, 1, false, LstmCell},
      {"lstmHidden", 3, 1, false, LstmHidden},       {"lstmGatesGrad", 8, 1, false, LstmGatesGrad},
      {"adamUpdate", 7, 8, false, AdamUpdate},       {"sumOfSquares", 1, 1, false, SumOfSquares},
      {"normalizeInput", 5, 1, false, NormalizeInput}, {"lstmStateTanh", 7, 1, false, LstmStateTanh},
  };
  static_assert(ArgsFit(kernels, sizeof(kernels) / sizeof(kernels[0])), "a kernel takes more than kMaxArgs arguments");
  std::vector<Method> methods = {{"copyBlocks", CopyBlocks}, {"binaryHeap", BinaryHeap}, {"reduceMiddle", ReduceMiddle},
                                 {"tanhHeap", TanhHeap},       {"resizeBilinearGradHeap", ResizeBilinearGradHeap}};
  for (const Kernel& k : kernels) methods.push_back({k.name, CallKernel, const_cast<Kernel*>(&k)});
  DefineMethods(env, exports, attrs, methods.data(), methods.size());
}

bool ReadHeapCall(napi_env env, napi_callback_info info, const char* name, size_t min_params, HeapCall* out) {
  napi_value argv[2];
  size_t argc = 2;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2) {
    napi_throw_type_error(env, nullptr, (std::string(name) + "(heap, params) needs 2 arguments").c_str());
    return false;
  }
  napi_typedarray_type type;
  napi_value ab;
  size_t offset = 0;
  void* heap = nullptr;
  void* params = nullptr;
  if (napi_get_typedarray_info(env, argv[0], &type, &out->heap_len, &heap, &ab, &offset) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, nullptr, (std::string(name) + ": heap must be a Uint8Array").c_str());
    return false;
  }
  if (napi_get_typedarray_info(env, argv[1], &type, &out->params_len, &params, &ab, &offset) != napi_ok || type != napi_float64_array ||
      out->params_len < min_params) {
    const std::string size = min_params > 1 ? " of " + std::to_string(min_params) : "";
    napi_throw_type_error(env, nullptr, (std::string(name) + ": params must be a Float64Array" + size).c_str());
    return false;
  }
  out->heap = static_cast<uint8_t*>(heap);
  out->params = static_cast<const double*>(params);
  return true;
}

void DefineMethods(napi_env env, napi_value exports, napi_property_attributes attrs, const Method* methods, size_t count) {
  std::vector<napi_property_descriptor> props(count);
  for (size_t i = 0; i < count; i++) props[i] = {methods[i].name, nullptr, methods[i].fn, nullptr, nullptr, nullptr, attrs, methods[i].data};
  napi_define_properties(env, exports, count, props.data());
}

}  // namespace rvos
