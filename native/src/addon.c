// Node-API entry points. Every array argument is the wasm backend's heap (an ArrayBuffer)
// plus element offsets into it, so kernels read and write tfjs tensors where they live,
// without a copy. Offsets and extents are checked against the heap's length before any
// pointer is formed: a wrong offset throws a RangeError instead of corrupting memory.
#include <cblas.h>
#include <stdio.h>
#include <string.h>

#include "act.h"
#include "binary.h"
#include "copy.h"
#include "gather.h"
#include "gemm.h"
#include "napi_util.h"
#include "pool.h"

// Elements a batch of matrices spans: the last one starts at (batch - 1) * stride.
static int64_t extent(int64_t batch, int64_t stride, int64_t size) {
  return size == 0 ? 0 : (batch - 1) * stride + size;
}

// gemm(heap, m, n, k, transA, transB, batch, aOff, aStride, bOff, bStride, cOff, beta)
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 13)) return NULL;
  gemm_args g = {.m = i64(&c, 1), .n = i64(&c, 2), .k = i64(&c, 3), .trans_a = i64(&c, 4) != 0,
                 .trans_b = i64(&c, 5) != 0, .batch = i64(&c, 6), .stride_a = i64(&c, 8),
                 .stride_b = i64(&c, 10), .beta = (float)f64(&c, 12)};
  g.stride_c = g.m * g.n;
  if (g.m < 0 || g.n < 0 || g.k < 0 || g.batch < 0 || g.stride_a < 0 || g.stride_b < 0) {
    napi_throw_range_error(env, NULL, "peft_native: gemm: negative size or stride");
    return NULL;
  }
  if (g.batch == 0) return NULL;
  g.a = span(&c, i64(&c, 7), extent(g.batch, g.stride_a, g.m * g.k), "gemm A");
  if (!g.a) return NULL;
  g.b = span(&c, i64(&c, 9), extent(g.batch, g.stride_b, g.k * g.n), "gemm B");
  if (!g.b) return NULL;
  g.c = span(&c, i64(&c, 11), g.batch * g.m * g.n, "gemm C");
  if (!g.c) return NULL;
  gemm_batched(&g);
  return NULL;
}

// Reads argument `index`, an Int32Array [shape..., strides0..., strides1...], into *v, with the element
// count and the furthest element each view touches. Returns -1 after throwing, 0 when empty, else 1.
static int get_views(call *c, size_t index, views *v, int64_t *size, int64_t *last0, int64_t *last1,
                     const char *what) {
  napi_env env = c->env;
  napi_typedarray_type type;
  size_t len;
  void *data;
  char msg[160];
  if (napi_get_typedarray_info(env, c->argv[index], &type, &len, &data, NULL, NULL) != napi_ok ||
      type != napi_int32_array || len % 3 != 0 || len / 3 > VIEWS_MAX_RANK) {
    snprintf(msg, sizeof msg, "peft_native: %s: dims must be an Int32Array of 3 x rank (rank <= 8)", what);
    napi_throw_type_error(env, NULL, msg);
    return -1;
  }
  const int32_t *dims = data;
  v->rank = (int)(len / 3);
  *size = 1;
  *last0 = *last1 = 0;
  for (int d = 0; d < v->rank; d++) {
    v->shape[d] = dims[d];
    v->s0[d] = dims[v->rank + d];
    v->s1[d] = dims[2 * v->rank + d];
    if (v->shape[d] < 0 || v->s0[d] < 0 || v->s1[d] < 0) {
      snprintf(msg, sizeof msg, "peft_native: %s: negative size or stride", what);
      napi_throw_range_error(env, NULL, msg);
      return -1;
    }
    *size *= v->shape[d];
    if (v->shape[d] > 0) {
      *last0 += (v->shape[d] - 1) * v->s0[d];
      *last1 += (v->shape[d] - 1) * v->s1[d];
    }
  }
  return *size > 0;
}

// copy(heap, srcOff, dstOff, dims: Int32Array [shape..., srcStrides..., dstStrides...])
static napi_value js_copy(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 4)) return NULL;
  copy_args a;
  int64_t size, src_last, dst_last;
  if (get_views(&c, 3, &a.v, &size, &src_last, &dst_last, "copy") <= 0) return NULL;
  if (!(a.src = (const uint32_t *)span(&c, i64(&c, 1), src_last + 1, "copy source"))) return NULL;
  if (!(a.dst = (uint32_t *)span(&c, i64(&c, 2), dst_last + 1, "copy destination"))) return NULL;
  strided_copy(&a);
  return NULL;
}

// binary(heap, op, aOff, bOff, outOff, dims: Int32Array [outShape..., aStrides..., bStrides...])
static napi_value js_binary(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 6)) return NULL;
  binary_args p = {.op = (int)i64(&c, 1)};
  if (p.op < OP_ADD || p.op > OP_DIV) {
    napi_throw_range_error(env, NULL, "peft_native: binary: unknown operation");
    return NULL;
  }
  int64_t size, a_last, b_last;
  if (get_views(&c, 5, &p.v, &size, &a_last, &b_last, "binary") <= 0) return NULL;
  if (!(p.a = span(&c, i64(&c, 2), a_last + 1, "binary a"))) return NULL;
  if (!(p.b = span(&c, i64(&c, 3), b_last + 1, "binary b"))) return NULL;
  if (!(p.out = span(&c, i64(&c, 4), size, "binary output"))) return NULL;
  binary_op(&p);
  return NULL;
}

// gather(heap, xOff, indicesOff, outOff, outer, axis, inner, count): out[o, i, :] = x[o, indices[i], :]
static napi_value js_gather(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 8)) return NULL;
  gather_args g = {.outer = i64(&c, 4), .axis = i64(&c, 5), .inner = i64(&c, 6), .count = i64(&c, 7)};
  if (g.outer < 0 || g.axis < 0 || g.inner < 0 || g.count < 0) {
    napi_throw_range_error(env, NULL, "peft_native: gather: negative size");
    return NULL;
  }
  if (!(g.x = (const uint32_t *)span(&c, i64(&c, 1), g.outer * g.axis * g.inner, "gather x"))) return NULL;
  if (!(g.indices = (const int32_t *)span(&c, i64(&c, 2), g.count, "gather indices"))) return NULL;
  if (!(g.out = (uint32_t *)span(&c, i64(&c, 3), g.outer * g.count * g.inner, "gather output"))) return NULL;
  int64_t bad = gather_rows(&g);
  if (bad >= 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "GatherV2: index %d at position %lld is not in [0, %lld]", g.indices[bad],
             (long long)bad, (long long)g.axis - 1);
    napi_throw_range_error(env, NULL, msg);
  }
  return NULL;
}

// biasActivation(heap, cOff, rows, n, biasOff (-1: none), act, alpha)
static napi_value js_bias_activation(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 7)) return NULL;
  int64_t rows = i64(&c, 2), n = i64(&c, 3), bias_off = i64(&c, 4);
  if (rows < 0 || n < 0) {
    napi_throw_range_error(env, NULL, "peft_native: biasActivation: negative size");
    return NULL;
  }
  float *out = span(&c, i64(&c, 1), rows * n, "biasActivation output");
  if (!out) return NULL;
  const float *bias = NULL;
  if (bias_off >= 0 && !(bias = span(&c, bias_off, n, "biasActivation bias"))) return NULL;
  bias_activation(out, rows, n, bias, (int)i64(&c, 5), (float)f64(&c, 6));
  return NULL;
}

// setThreads(n): OpenBLAS's threads and the pool's, so that n cores are used in all.
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  int32_t n = 0;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, arg, &n) != napi_ok || n < 1) {
    napi_throw_range_error(env, NULL, "peft_native: setThreads: expected a count >= 1");
    return NULL;
  }
  gemm_set_threads(n);
  pool_set_threads(n);
  return NULL;
}

static napi_status set_str(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  napi_status s = napi_create_string_utf8(env, value ? value : "", NAPI_AUTO_LENGTH, &v);
  return s == napi_ok ? napi_set_named_property(env, obj, key, v) : s;
}

static napi_status set_int(napi_env env, napi_value obj, const char *key, int value) {
  napi_value v;
  napi_status s = napi_create_int32(env, value, &v);
  return s == napi_ok ? napi_set_named_property(env, obj, key, v) : s;
}

// info(): what OpenBLAS was built as and runs on, and the thread counts in use.
static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj;
  CHECK(napi_create_object(env, &obj));
  CHECK(set_str(env, obj, "blasConfig", openblas_get_config()));
  CHECK(set_str(env, obj, "blasCore", openblas_get_corename()));
  CHECK(set_int(env, obj, "blasThreads", openblas_get_num_threads()));
  CHECK(set_int(env, obj, "poolThreads", pool_threads()));
  CHECK(set_int(env, obj, "processors", openblas_get_num_procs()));
  return obj;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gemm", NULL, js_gemm, NULL, NULL, NULL, napi_default, NULL},
      {"copy", NULL, js_copy, NULL, NULL, NULL, napi_default, NULL},
      {"biasActivation", NULL, js_bias_activation, NULL, NULL, NULL, napi_default, NULL},
      {"binary", NULL, js_binary, NULL, NULL, NULL, napi_default, NULL},
      {"gather", NULL, js_gather, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  CHECK(register_fused(env, exports));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
