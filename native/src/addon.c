// Node-API entry points. Every array argument is the wasm backend's heap (an ArrayBuffer)
// plus element offsets into it, so kernels read and write tfjs tensors where they live,
// without a copy. Offsets and extents are checked against the heap's length before any
// pointer is formed: a wrong offset throws a RangeError instead of corrupting memory.
#define NAPI_VERSION 8
#include <cblas.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>

#include "act.h"
#include "copy.h"
#include "gemm.h"
#include "pool.h"

#define CHECK(call)                                                \
  do {                                                             \
    if ((call) != napi_ok) {                                       \
      napi_throw_error(env, NULL, "peft_native: " #call " failed"); \
      return NULL;                                                 \
    }                                                              \
  } while (0)

#define MAX_ARGS 16

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  uint8_t *heap;
  size_t heap_bytes;
} call;

static int get_args(napi_env env, napi_callback_info info, call *c, size_t want) {
  c->env = env;
  c->argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &c->argc, c->argv, NULL, NULL) != napi_ok || c->argc < want) {
    napi_throw_type_error(env, NULL, "peft_native: too few arguments");
    return 0;
  }
  return 1;
}

static int get_heap(call *c, size_t i) {
  void *data;
  if (napi_get_arraybuffer_info(c->env, c->argv[i], &data, &c->heap_bytes) != napi_ok) {
    napi_throw_type_error(c->env, NULL, "peft_native: expected the wasm heap (an ArrayBuffer)");
    return 0;
  }
  c->heap = data;
  return 1;
}

static int64_t i64(call *c, size_t i) {
  int64_t v = 0;
  napi_get_value_int64(c->env, c->argv[i], &v);
  return v;
}

static double f64(call *c, size_t i) {
  double v = 0;
  napi_get_value_double(c->env, c->argv[i], &v);
  return v;
}

// A float pointer to `count` elements at element offset `off`, or NULL (and a RangeError).
static float *span(call *c, int64_t off, int64_t count, const char *what) {
  size_t elems = c->heap_bytes / 4;
  if (off < 0 || count < 0 || (uint64_t)off > elems || (uint64_t)count > elems - (uint64_t)off) {
    char msg[160];
    snprintf(msg, sizeof msg, "peft_native: %s [%lld, +%lld) lies outside the heap (%zu elements)", what,
             (long long)off, (long long)count, elems);
    napi_throw_range_error(c->env, NULL, msg);
    return NULL;
  }
  return (float *)c->heap + off;
}

// Elements a batch of matrices spans: the last one starts at (batch - 1) * stride.
static int64_t extent(int64_t batch, int64_t stride, int64_t size) {
  return size == 0 ? 0 : (batch - 1) * stride + size;
}

// gemm(heap, m, n, k, transA, transB, batch, aOff, aStride, bOff, bStride, cOff, beta)
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  call c;
  if (!get_args(env, info, &c, 13) || !get_heap(&c, 0)) return NULL;
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

// copy(heap, srcOff, dstOff, dims: Int32Array [shape..., srcStrides..., dstStrides...])
static napi_value js_copy(napi_env env, napi_callback_info info) {
  call c;
  if (!get_args(env, info, &c, 4) || !get_heap(&c, 0)) return NULL;
  napi_typedarray_type type;
  size_t len;
  void *data;
  CHECK(napi_get_typedarray_info(env, c.argv[3], &type, &len, &data, NULL, NULL));
  if (type != napi_int32_array || len % 3 != 0 || len / 3 > COPY_MAX_RANK) {
    napi_throw_type_error(env, NULL, "peft_native: copy: dims must be an Int32Array of 3 x rank (rank <= 8)");
    return NULL;
  }
  const int32_t *dims = data;
  copy_args a = {.rank = (int)(len / 3)};
  // The furthest element each side touches, to check both views against the heap.
  int64_t src_last = 0, dst_last = 0, empty = 0;
  for (int d = 0; d < a.rank; d++) {
    a.shape[d] = dims[d];
    a.src_stride[d] = dims[a.rank + d];
    a.dst_stride[d] = dims[2 * a.rank + d];
    if (a.shape[d] < 0 || a.src_stride[d] < 0 || a.dst_stride[d] < 0) {
      napi_throw_range_error(env, NULL, "peft_native: copy: negative size or stride");
      return NULL;
    }
    if (a.shape[d] == 0) empty = 1;
    else {
      src_last += (a.shape[d] - 1) * a.src_stride[d];
      dst_last += (a.shape[d] - 1) * a.dst_stride[d];
    }
  }
  if (empty) return NULL;
  a.src = (const uint32_t *)span(&c, i64(&c, 1), src_last + 1, "copy source");
  if (!a.src) return NULL;
  a.dst = (uint32_t *)span(&c, i64(&c, 2), dst_last + 1, "copy destination");
  if (!a.dst) return NULL;
  strided_copy(&a);
  return NULL;
}

// biasActivation(heap, cOff, rows, n, biasOff (-1: none), act, alpha)
static napi_value js_bias_activation(napi_env env, napi_callback_info info) {
  call c;
  if (!get_args(env, info, &c, 7) || !get_heap(&c, 0)) return NULL;
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
  call c;
  if (!get_args(env, info, &c, 1)) return NULL;
  int n = (int)i64(&c, 0);
  if (n < 1) {
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
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
