// RMSNorm forward and backward.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fused.h"
#include "pool.h"
#include "simd.h"

// Rows per block of the weight-gradient reduction: fixed, so the sum order never depends on threads.
#define BLOCK_ROWS 32

typedef struct {
  const float *x, *w, *dy;
  float *y, *dx, *partial;  // partial: one d-vector of dw per block
  int64_t rows, d;
  float eps;
} norm_ctx;

VECTOR_CLONES static float inv_rms(const float *restrict x, int64_t d, float eps) {
  float ss = 0;
#pragma omp simd reduction(+ : ss)
  for (int64_t j = 0; j < d; j++) ss += x[j] * x[j];
  return 1.0f / sqrtf(ss / (float)d + eps);
}

VECTOR_CLONES static void scale_row(const float *restrict x, const float *restrict w, float *restrict y, int64_t d,
                                    float inv) {
#pragma omp simd
  for (int64_t j = 0; j < d; j++) y[j] = x[j] * inv * w[j];
}

static void forward_rows(void *ctx, int64_t begin, int64_t end) {
  const norm_ctx *c = ctx;
  for (int64_t r = begin; r < end; r++) {
    const float *x = c->x + r * c->d;
    scale_row(x, c->w, c->y + r * c->d, c->d, inv_rms(x, c->d, c->eps));
  }
}

// One row of the backward: dx, and dy * x * inv accumulated into dw.
VECTOR_CLONES static void grad_row(const float *restrict dy, const float *restrict x, const float *restrict w,
                                   float *restrict dx, float *restrict dw, int64_t d, float inv) {
  float gx = 0;
#pragma omp simd reduction(+ : gx)
  for (int64_t j = 0; j < d; j++) gx += (dy[j] * w[j]) * x[j];
  float k = gx / (float)d * inv * inv * inv;
#pragma omp simd
  for (int64_t j = 0; j < d; j++) {
    dx[j] = dy[j] * w[j] * inv - x[j] * k;
    dw[j] += dy[j] * (x[j] * inv);
  }
}

void rms_norm_forward(const float *x, const float *w, float *y, int64_t rows, int64_t d, float eps) {
  norm_ctx c = {.x = x, .w = w, .y = y, .rows = rows, .d = d, .eps = eps};
  int64_t grain = (1 << 14) / (d > 0 ? d : 1);
  pool_run(forward_rows, &c, rows, grain > 0 ? grain : 1);
}

static void backward_blocks(void *ctx, int64_t begin, int64_t end) {
  const norm_ctx *c = ctx;
  int64_t d = c->d;
  for (int64_t blk = begin; blk < end; blk++) {
    float *dw = c->partial + blk * d;
    memset(dw, 0, (size_t)d * sizeof(float));
    int64_t r1 = (blk + 1) * BLOCK_ROWS < c->rows ? (blk + 1) * BLOCK_ROWS : c->rows;
    for (int64_t r = blk * BLOCK_ROWS; r < r1; r++) {
      const float *x = c->x + r * d;
      grad_row(c->dy + r * d, x, c->w, c->dx + r * d, dw, d, inv_rms(x, d, c->eps));
    }
  }
}

int rms_norm_backward(const float *dy, const float *x, const float *w, float *dx, float *dw, int64_t rows,
                      int64_t d, float eps) {
  int64_t blocks = (rows + BLOCK_ROWS - 1) / BLOCK_ROWS;
  float *partial = malloc((size_t)(blocks > 0 ? blocks : 1) * (size_t)d * sizeof(float));
  if (!partial) return -1;
  norm_ctx c = {.x = x, .w = w, .dy = dy, .dx = dx, .partial = partial, .rows = rows, .d = d, .eps = eps};
  pool_run(backward_blocks, &c, blocks, 1);
  for (int64_t j = 0; j < d; j++) dw[j] = 0;
  for (int64_t b = 0; b < blocks; b++)
    for (int64_t j = 0; j < d; j++) dw[j] += partial[b * d + j];
  free(partial);
  return 0;
}
