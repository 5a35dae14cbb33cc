#include "act.h"

#include <math.h>

#include "pool.h"
#include "simd.h"

typedef struct {
  float *c;
  int64_t n;
  const float *bias;
  int act;
  float alpha;
} act_ctx;

static inline float apply(float x, int act, float alpha) {
  switch (act) {
    case ACT_RELU:
      return x > 0 ? x : 0;
    case ACT_RELU6:
      return x < 0 ? 0 : (x > 6 ? 6 : x);
    case ACT_ELU:
      return x >= 0 ? x : fast_expf(x) - 1.0f;
    case ACT_LEAKYRELU:
      return x >= 0 ? x : alpha * x;
    case ACT_SIGMOID:
      return 1.0f / (1.0f + fast_expf(-x));
    default:
      return x;
  }
}

VECTOR_CLONES static void rows_task(void *ctx, int64_t begin, int64_t end) {
  const act_ctx *a = ctx;
  for (int64_t r = begin; r < end; r++) {
    float *row = a->c + r * a->n;
    if (a->bias)
      for (int64_t j = 0; j < a->n; j++) row[j] += a->bias[j];
    if (a->act != ACT_LINEAR)
      for (int64_t j = 0; j < a->n; j++) row[j] = apply(row[j], a->act, a->alpha);
  }
}

void bias_activation(float *c, int64_t rows, int64_t n, const float *bias, int act, float alpha) {
  if (!bias && act == ACT_LINEAR) return;
  act_ctx a = {c, n, bias, act, alpha};
  int64_t grain = (1 << 14) / (n > 0 ? n : 1);
  pool_run(rows_task, &a, rows, grain > 0 ? grain : 1);
}
