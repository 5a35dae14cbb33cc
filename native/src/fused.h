// Fused forward and backward kernels for the LLaMA hot paths and the language-model loss. Each replaces a
// chain of 4-15 tfjs ops (and as many passes over memory) by one or two passes; the math is the same
// as the chain's (lib/models/ops.ts, attention.ts, llama.ts, loss.ts hold the composite versions).
// Reductions over rows use fixed blocks of rows summed in order, so results do not depend on the thread
// count.
#ifndef PEFT_FUSED_H
#define PEFT_FUSED_H

#include <stdint.h>

// y = x * r * w, r = 1 / sqrt(mean(x^2) + eps), over rows of length d.
void rms_norm_forward(const float *x, const float *w, float *y, int64_t rows, int64_t d, float eps);
// dx = r*g - x*r^3*mean(g*x) with g = dy*w; dw = sum over rows of dy*x*r. Returns 0, or -1 when out of memory.
int rms_norm_backward(const float *dy, const float *x, const float *w, float *dx, float *dw, int64_t rows,
                      int64_t d, float eps);

// y = g * sigmoid(g) * u (SwiGLU's gate), elementwise.
void swiglu_forward(const float *g, const float *u, float *y, int64_t n);
void swiglu_backward(const float *dy, const float *g, const float *u, float *dg, float *du, int64_t n);

// Splits heads and applies rotary embeddings (rotate_half convention):
//   y[b, h, t, :] = x[b, t, h, :] * cos[b, t, :] + rotate_half(x[b, t, h, :]) * sin[b, t, :]
// with x [B, T, H, D], cos/sin [B, T, D] (cs_batch_stride 0 shares one row set across the batch).
void rope_heads_forward(const float *x, const float *cos, const float *sin, float *y, int64_t B, int64_t T,
                        int64_t H, int64_t D, int64_t cs_batch_stride);
// dx [B, T, H, D] from dy [B, H, T, D]: the transpose of the map above.
void rope_heads_backward(const float *dy, const float *cos, const float *sin, float *dx, int64_t B, int64_t T,
                         int64_t H, int64_t D, int64_t cs_batch_stride);

// p = softmax(s * scale + mask) over the last dimension of s [B, H, T, S]; mask [Bm, 1, T, S] with
// mask_batch_stride 0 (Bm = 1) or T*S (Bm = B).
void attn_softmax_forward(const float *s, const float *mask, float *p, int64_t B, int64_t H, int64_t T,
                          int64_t S, float scale, int64_t mask_batch_stride);
// ds = scale * p * (dp - sum(dp * p)).
void attn_softmax_backward(const float *dp, const float *p, float *ds, int64_t rows, int64_t S, float scale);

// Per-row weighted cross-entropy of logits [N, V]: loss[r] = w[r] * (lse[r] - x[r, label[r]]), also
// returning lse (log-sum-exp) for the backward. Returns the first row whose label is outside [0, V)
// and has a non-zero weight, or -1.
int64_t cross_entropy_forward(const float *x, const int32_t *labels, const float *w, float *loss, float *lse,
                              int64_t N, int64_t V);
// dx[r, j] = dloss[r] * w[r] * (exp(x[r, j] - lse[r]) - [j == label[r]]).
void cross_entropy_backward(const float *dloss, const float *x, const int32_t *labels, const float *w,
                            const float *lse, float *dx, int64_t N, int64_t V);

// One AdamW step: p, g, m, v in, the new p, m, v out (first: no m, v yet; they are not read). The
// constants come precomputed as the composite passes them to tfjs (each a float32 of a double).
typedef struct {
  float decay;      // 1 - lr * wd (applied only when decays)
  float b1, omb1;   // beta1, 1 - beta1
  float b2, omb2;   // beta2, 1 - beta2
  float bc2_sqrt;   // sqrt(1 - beta2^t)
  float eps;
  float step;       // lr / (1 - beta1^t)
  int decays, first;
} adamw_hyper;
void adamw_step(const float *p, const float *g, const float *m, const float *v, float *p_out, float *m_out,
                float *v_out, int64_t n, adamw_hyper h);

#endif
