// Node-API bindings of the fused kernels (fused.h). Arguments: the heap, element offsets of each array,
// then sizes; every array is checked against the heap before use.
#include <stdio.h>

#include "fused.h"
#include "napi_util.h"

#define ARRAY(var, type, index, count, what)                     \
  type *var = (type *)span(&c, i64(&c, index), (count), (what)); \
  if (!var) return NULL

#define SIZES_NONNEGATIVE(cond, name)                                                   \
  if (!(cond)) {                                                                        \
    napi_throw_range_error(env, NULL, "peft_native: " name ": sizes must be positive"); \
    return NULL;                                                                        \
  }

// rmsNorm(heap, x, w, y, rows, d, eps)
static napi_value rms_norm(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 7)) return NULL;
  int64_t rows = i64(&c, 4), d = i64(&c, 5);
  SIZES_NONNEGATIVE(rows >= 0 && d > 0, "rmsNorm");
  ARRAY(x, const float, 1, rows * d, "rmsNorm x");
  ARRAY(w, const float, 2, d, "rmsNorm weight");
  ARRAY(y, float, 3, rows * d, "rmsNorm output");
  rms_norm_forward(x, w, y, rows, d, (float)f64(&c, 6));
  return NULL;
}

// rmsNormGrad(heap, dy, x, w, dx, dw, rows, d, eps)
static napi_value rms_norm_grad(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 9)) return NULL;
  int64_t rows = i64(&c, 6), d = i64(&c, 7);
  SIZES_NONNEGATIVE(rows >= 0 && d > 0, "rmsNormGrad");
  ARRAY(dy, const float, 1, rows * d, "rmsNormGrad dy");
  ARRAY(x, const float, 2, rows * d, "rmsNormGrad x");
  ARRAY(w, const float, 3, d, "rmsNormGrad weight");
  ARRAY(dx, float, 4, rows * d, "rmsNormGrad dx");
  ARRAY(dw, float, 5, d, "rmsNormGrad dw");
  if (rms_norm_backward(dy, x, w, dx, dw, rows, d, (float)f64(&c, 8)) != 0)
    napi_throw_error(env, NULL, "peft_native: rmsNormGrad: out of memory");
  return NULL;
}

// swiglu(heap, g, u, y, n)
static napi_value swiglu(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 5)) return NULL;
  int64_t n = i64(&c, 4);
  SIZES_NONNEGATIVE(n >= 0, "swiglu");
  ARRAY(g, const float, 1, n, "swiglu gate");
  ARRAY(u, const float, 2, n, "swiglu up");
  ARRAY(y, float, 3, n, "swiglu output");
  swiglu_forward(g, u, y, n);
  return NULL;
}

// swigluGrad(heap, dy, g, u, dg, du, n)
static napi_value swiglu_grad(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 7)) return NULL;
  int64_t n = i64(&c, 6);
  SIZES_NONNEGATIVE(n >= 0, "swigluGrad");
  ARRAY(dy, const float, 1, n, "swigluGrad dy");
  ARRAY(g, const float, 2, n, "swigluGrad gate");
  ARRAY(u, const float, 3, n, "swigluGrad up");
  ARRAY(dg, float, 4, n, "swigluGrad dgate");
  ARRAY(du, float, 5, n, "swigluGrad dup");
  swiglu_backward(dy, g, u, dg, du, n);
  return NULL;
}

// ropeHeads(heap, in, cos, sin, out, B, T, H, D, csBatchStride, backward)
static napi_value rope_heads(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 11)) return NULL;
  int64_t B = i64(&c, 5), T = i64(&c, 6), H = i64(&c, 7), D = i64(&c, 8), cs = i64(&c, 9);
  SIZES_NONNEGATIVE(B >= 0 && T >= 0 && H > 0 && D > 0 && D % 2 == 0 && cs >= 0, "ropeHeads");
  int64_t n = B * T * H * D, csCount = (B > 0 ? (B - 1) * cs : 0) + T * D;
  ARRAY(in, const float, 1, n, "ropeHeads input");
  ARRAY(cos, const float, 2, csCount, "ropeHeads cos");
  ARRAY(sin, const float, 3, csCount, "ropeHeads sin");
  ARRAY(out, float, 4, n, "ropeHeads output");
  if (i64(&c, 10)) rope_heads_backward(in, cos, sin, out, B, T, H, D, cs);
  else rope_heads_forward(in, cos, sin, out, B, T, H, D, cs);
  return NULL;
}

// attnSoftmax(heap, s, mask, p, B, H, T, S, scale, maskBatchStride)
static napi_value attn_softmax(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 10)) return NULL;
  int64_t B = i64(&c, 4), H = i64(&c, 5), T = i64(&c, 6), S = i64(&c, 7), ms = i64(&c, 9);
  SIZES_NONNEGATIVE(B >= 0 && H >= 0 && T >= 0 && S > 0 && ms >= 0, "attnSoftmax");
  int64_t n = B * H * T * S;
  ARRAY(s, const float, 1, n, "attnSoftmax scores");
  ARRAY(mask, const float, 2, (B > 0 ? (B - 1) * ms : 0) + T * S, "attnSoftmax mask");
  ARRAY(p, float, 3, n, "attnSoftmax output");
  attn_softmax_forward(s, mask, p, B, H, T, S, (float)f64(&c, 8), ms);
  return NULL;
}

// attnSoftmaxGrad(heap, dp, p, ds, rows, S, scale)
static napi_value attn_softmax_grad(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 7)) return NULL;
  int64_t rows = i64(&c, 4), S = i64(&c, 5);
  SIZES_NONNEGATIVE(rows >= 0 && S > 0, "attnSoftmaxGrad");
  ARRAY(dp, const float, 1, rows * S, "attnSoftmaxGrad dp");
  ARRAY(p, const float, 2, rows * S, "attnSoftmaxGrad p");
  ARRAY(ds, float, 3, rows * S, "attnSoftmaxGrad ds");
  attn_softmax_backward(dp, p, ds, rows, S, (float)f64(&c, 6));
  return NULL;
}

// crossEntropy(heap, x, labels, w, loss, lse, N, V)
static napi_value cross_entropy(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 8)) return NULL;
  int64_t N = i64(&c, 6), V = i64(&c, 7);
  SIZES_NONNEGATIVE(N >= 0 && V > 0, "crossEntropy");
  ARRAY(x, const float, 1, N * V, "crossEntropy logits");
  ARRAY(labels, const int32_t, 2, N, "crossEntropy labels");
  ARRAY(w, const float, 3, N, "crossEntropy weights");
  ARRAY(loss, float, 4, N, "crossEntropy loss");
  ARRAY(lse, float, 5, N, "crossEntropy lse");
  int64_t bad = cross_entropy_forward(x, labels, w, loss, lse, N, V);
  if (bad >= 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "crossEntropy: label %d at row %lld is not in [0, %lld]", labels[bad], (long long)bad,
             (long long)V - 1);
    napi_throw_range_error(env, NULL, msg);
  }
  return NULL;
}

// crossEntropyGrad(heap, dloss, x, labels, w, lse, dx, N, V)
static napi_value cross_entropy_grad(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 9)) return NULL;
  int64_t N = i64(&c, 7), V = i64(&c, 8);
  SIZES_NONNEGATIVE(N >= 0 && V > 0, "crossEntropyGrad");
  ARRAY(dloss, const float, 1, N, "crossEntropyGrad dloss");
  ARRAY(x, const float, 2, N * V, "crossEntropyGrad logits");
  ARRAY(labels, const int32_t, 3, N, "crossEntropyGrad labels");
  ARRAY(w, const float, 4, N, "crossEntropyGrad weights");
  ARRAY(lse, const float, 5, N, "crossEntropyGrad lse");
  ARRAY(dx, float, 6, N * V, "crossEntropyGrad dx");
  cross_entropy_backward(dloss, x, labels, w, lse, dx, N, V);
  return NULL;
}

// adamW(heap, p, g, m, v, pOut, mOut, vOut, n, decay, b1, omb1, b2, omb2, bc2Sqrt, eps, step, decays, first)
static napi_value adamw(napi_env env, napi_callback_info info) {
  call c;
  if (!get_call(env, info, &c, 19)) return NULL;
  int64_t n = i64(&c, 8);
  SIZES_NONNEGATIVE(n >= 0, "adamW");
  int first = i64(&c, 18) != 0;
  ARRAY(p, const float, 1, n, "adamW param");
  ARRAY(g, const float, 2, n, "adamW grad");
  ARRAY(m, const float, 3, first ? 0 : n, "adamW exp_avg");
  ARRAY(v, const float, 4, first ? 0 : n, "adamW exp_avg_sq");
  ARRAY(po, float, 5, n, "adamW new param");
  ARRAY(mo, float, 6, n, "adamW new exp_avg");
  ARRAY(vo, float, 7, n, "adamW new exp_avg_sq");
  adamw_hyper h = {(float)f64(&c, 9),  (float)f64(&c, 10), (float)f64(&c, 11), (float)f64(&c, 12),
                   (float)f64(&c, 13), (float)f64(&c, 14), (float)f64(&c, 15), (float)f64(&c, 16),
                   i64(&c, 17) != 0,   first};
  adamw_step(p, g, m, v, po, mo, vo, n, h);
  return NULL;
}

napi_status register_fused(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"rmsNorm", NULL, rms_norm, NULL, NULL, NULL, napi_default, NULL},
      {"rmsNormGrad", NULL, rms_norm_grad, NULL, NULL, NULL, napi_default, NULL},
      {"swiglu", NULL, swiglu, NULL, NULL, NULL, napi_default, NULL},
      {"swigluGrad", NULL, swiglu_grad, NULL, NULL, NULL, napi_default, NULL},
      {"ropeHeads", NULL, rope_heads, NULL, NULL, NULL, napi_default, NULL},
      {"attnSoftmax", NULL, attn_softmax, NULL, NULL, NULL, napi_default, NULL},
      {"attnSoftmaxGrad", NULL, attn_softmax_grad, NULL, NULL, NULL, napi_default, NULL},
      {"crossEntropy", NULL, cross_entropy, NULL, NULL, NULL, napi_default, NULL},
      {"crossEntropyGrad", NULL, cross_entropy_grad, NULL, NULL, NULL, napi_default, NULL},
      {"adamW", NULL, adamw, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
