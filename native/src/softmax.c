// Attention's masked, scaled softmax and the language-model cross-entropy, each one pass forward and
// one backward over rows.
#include <math.h>

#include "fused.h"
#include "pool.h"
#include "simd.h"

// p = softmax(s * scale + m) over one row of n.
VECTOR_CLONES static void softmax_row(const float *restrict s, const float *restrict m, float *restrict p, int64_t n,
                                      float scale) {
  float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
  for (int64_t j = 0; j < n; j++) {
    p[j] = s[j] * scale + m[j];
    mx = p[j] > mx ? p[j] : mx;
  }
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < n; j++) sum += (p[j] = fast_expf(p[j] - mx));
  float inv = 1.0f / sum;
#pragma omp simd
  for (int64_t j = 0; j < n; j++) p[j] *= inv;
}

// ds = scale * p * (dp - dot(dp, p)) over one row.
VECTOR_CLONES static void softmax_grad_row(const float *restrict dp, const float *restrict p, float *restrict ds,
                                           int64_t n, float scale) {
  float dot = 0;
#pragma omp simd reduction(+ : dot)
  for (int64_t j = 0; j < n; j++) dot += dp[j] * p[j];
#pragma omp simd
  for (int64_t j = 0; j < n; j++) ds[j] = scale * (p[j] * (dp[j] - dot));
}

// The row's log-sum-exp.
VECTOR_CLONES static float logsumexp_row(const float *restrict x, int64_t n) {
  float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
  for (int64_t j = 0; j < n; j++) mx = x[j] > mx ? x[j] : mx;
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < n; j++) sum += fast_expf(x[j] - mx);
  return mx + logf(sum);
}

// dx = k * exp(x - lse) over one row.
VECTOR_CLONES static void scaled_softmax_row(const float *restrict x, float *restrict dx, int64_t n, float k, float lse) {
#pragma omp simd
  for (int64_t j = 0; j < n; j++) dx[j] = k * fast_expf(x[j] - lse);
}

typedef struct {
  const float *s, *mask, *dp, *p;
  float *out;
  int64_t H, T, S, mask_stride;
  float scale;
} attn_ctx;

// Rows are (b, h, t).
static void attn_fwd(void *ctx, int64_t begin, int64_t end) {
  const attn_ctx *c = ctx;
  for (int64_t r = begin; r < end; r++) {
    int64_t b = r / (c->H * c->T), t = r % c->T;
    softmax_row(c->s + r * c->S, c->mask + b * c->mask_stride + t * c->S, c->out + r * c->S, c->S, c->scale);
  }
}

static void attn_bwd(void *ctx, int64_t begin, int64_t end) {
  const attn_ctx *c = ctx;
  for (int64_t r = begin; r < end; r++) {
    softmax_grad_row(c->dp + r * c->S, c->p + r * c->S, c->out + r * c->S, c->S, c->scale);
  }
}

static int64_t row_grain(int64_t len) {
  int64_t g = (1 << 14) / (len > 0 ? len : 1);
  return g > 0 ? g : 1;
}

void attn_softmax_forward(const float *s, const float *mask, float *p, int64_t B, int64_t H, int64_t T,
                          int64_t S, float scale, int64_t mask_batch_stride) {
  attn_ctx c = {.s = s, .mask = mask, .out = p, .H = H, .T = T, .S = S, .mask_stride = mask_batch_stride,
                .scale = scale};
  pool_run(attn_fwd, &c, B * H * T, row_grain(S));
}

void attn_softmax_backward(const float *dp, const float *p, float *ds, int64_t rows, int64_t S, float scale) {
  attn_ctx c = {.dp = dp, .p = p, .out = ds, .S = S, .scale = scale};
  pool_run(attn_bwd, &c, rows, row_grain(S));
}

typedef struct {
  const float *x, *w, *lse, *dloss;
  const int32_t *labels;
  float *loss, *lse_out, *dx;
  int64_t V;
} ce_ctx;

static void ce_fwd(void *ctx, int64_t begin, int64_t end) {
  const ce_ctx *c = ctx;
  for (int64_t r = begin; r < end; r++) {
    const float *x = c->x + r * c->V;
    float lse = logsumexp_row(x, c->V);
    c->lse_out[r] = lse;
    c->loss[r] = c->w[r] == 0 ? 0 : c->w[r] * (lse - x[c->labels[r]]);
  }
}

static void ce_bwd(void *ctx, int64_t begin, int64_t end) {
  const ce_ctx *c = ctx;
  for (int64_t r = begin; r < end; r++) {
    const float *x = c->x + r * c->V;
    float *dx = c->dx + r * c->V;
    float k = c->dloss[r] * c->w[r], lse = c->lse[r];
    if (k == 0) {
      for (int64_t j = 0; j < c->V; j++) dx[j] = 0;
      continue;
    }
    scaled_softmax_row(x, dx, c->V, k, lse);
    dx[c->labels[r]] -= k;
  }
}

int64_t cross_entropy_forward(const float *x, const int32_t *labels, const float *w, float *loss, float *lse,
                              int64_t N, int64_t V) {
  for (int64_t r = 0; r < N; r++)
    if (w[r] != 0 && (labels[r] < 0 || labels[r] >= V)) return r;
  ce_ctx c = {.x = x, .labels = labels, .w = w, .loss = loss, .lse_out = lse, .V = V};
  pool_run(ce_fwd, &c, N, row_grain(V));
  return -1;
}

void cross_entropy_backward(const float *dloss, const float *x, const int32_t *labels, const float *w,
                            const float *lse, float *dx, int64_t N, int64_t V) {
  ce_ctx c = {.x = x, .labels = labels, .w = w, .lse = lse, .dloss = dloss, .dx = dx, .V = V};
  pool_run(ce_bwd, &c, N, row_grain(V));
}
