// One AdamW step over a parameter in a single pass (torch.optim.AdamW's update, in the order of operations
// lib/train/optim.ts composes it from tfjs ops: ~13 passes and as many engine calls per parameter there).
#include <math.h>

#include "fused.h"
#include "pool.h"
#include "simd.h"

typedef struct {
  const float *p, *g, *m, *v;
  float *po, *mo, *vo;
  adamw_hyper h;
} adamw_ctx;

VECTOR_CLONES static void task(void *ctx, int64_t begin, int64_t end) {
  const adamw_ctx *c = ctx;
  const adamw_hyper h = c->h;
  const float *restrict p = c->p, *restrict g = c->g, *restrict m = c->m, *restrict v = c->v;
  float *restrict po = c->po, *restrict mo = c->mo, *restrict vo = c->vo;
#pragma omp simd
  for (int64_t i = begin; i < end; i++) {
    float decayed = h.decays ? p[i] * h.decay : p[i];
    float mi = h.first ? g[i] * h.omb1 : m[i] * h.b1 + g[i] * h.omb1;
    float g2 = g[i] * g[i];
    float vi = h.first ? g2 * h.omb2 : v[i] * h.b2 + g2 * h.omb2;
    float denom = sqrtf(vi) / h.bc2_sqrt + h.eps;
    po[i] = decayed - (mi / denom) * h.step;
    mo[i] = mi;
    vo[i] = vi;
  }
}

void adamw_step(const float *p, const float *g, const float *m, const float *v, float *p_out, float *m_out,
                float *v_out, int64_t n, adamw_hyper h) {
  adamw_ctx c = {.p = p, .g = g, .m = m, .v = v, .po = p_out, .mo = m_out, .vo = v_out, .h = h};
  pool_run(task, &c, n, 1 << 14);
}
