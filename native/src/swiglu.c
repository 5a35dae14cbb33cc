// SwiGLU's gate, silu(g) * u, forward and backward, in the composite's order of operations:
// m = g * sigmoid(g), y = m * u; dm = dy * u, du = dy * m, dg = dm * s + (dm * g) * s * (1 - s).
#include "fused.h"
#include "pool.h"
#include "simd.h"

#define GRAIN (1 << 14)

typedef struct {
  const float *g, *u, *dy;
  float *y, *dg, *du;
} swiglu_ctx;

static inline float sigmoid(float x) { return 1.0f / (1.0f + fast_expf(-x)); }

VECTOR_CLONES static void fwd(void *ctx, int64_t begin, int64_t end) {
  const swiglu_ctx *c = ctx;
  const float *restrict g = c->g, *restrict u = c->u;
  float *restrict y = c->y;
#pragma omp simd
  for (int64_t i = begin; i < end; i++) y[i] = g[i] * sigmoid(g[i]) * u[i];
}

VECTOR_CLONES static void bwd(void *ctx, int64_t begin, int64_t end) {
  const swiglu_ctx *c = ctx;
  const float *restrict gp = c->g, *restrict u = c->u, *restrict dy = c->dy;
  float *restrict dg = c->dg, *restrict du = c->du;
#pragma omp simd
  for (int64_t i = begin; i < end; i++) {
    float g = gp[i], s = sigmoid(g), dm = dy[i] * u[i];
    du[i] = dy[i] * (g * s);
    dg[i] = dm * s + (dm * g) * (s * (1.0f - s));
  }
}

void swiglu_forward(const float *g, const float *u, float *y, int64_t n) {
  swiglu_ctx c = {.g = g, .u = u, .y = y};
  pool_run(fwd, &c, n, GRAIN);
}

void swiglu_backward(const float *dy, const float *g, const float *u, float *dg, float *du, int64_t n) {
  swiglu_ctx c = {.g = g, .u = u, .dy = dy, .dg = dg, .du = du};
  pool_run(bwd, &c, n, GRAIN);
}
