// Head split fused with rotary embeddings: the projection output [B, T, H, D] goes straight to the
// attention layout [B, H, T, D], rotated, in one pass (tfjs needs a transpose, two slices, a negation, a
// concat, two products and a sum).
#include "fused.h"
#include "pool.h"
#include "simd.h"

typedef struct {
  const float *in, *cos, *sin;
  float *out;
  int64_t B, T, H, D, cs;
  int backward;
} rope_ctx;

// Items are (b, t) pairs; each handles all heads of one position. Forward reads [B, T, H, D] and writes
// [B, H, T, D]; backward the other way round, applying the transposed rotation.
VECTOR_CLONES static void task(void *ctx, int64_t begin, int64_t end) {
  const rope_ctx *c = ctx;
  int64_t half = c->D / 2;
  for (int64_t i = begin; i < end; i++) {
    int64_t b = i / c->T, t = i % c->T;
    const float *cs = c->cos + b * c->cs + t * c->D, *sn = c->sin + b * c->cs + t * c->D;
    for (int64_t h = 0; h < c->H; h++) {
      int64_t bthd = ((b * c->T + t) * c->H + h) * c->D, bhtd = ((b * c->H + h) * c->T + t) * c->D;
      if (!c->backward) {
        const float *x = c->in + bthd;
        float *y = c->out + bhtd;
        for (int64_t j = 0; j < half; j++) y[j] = x[j] * cs[j] + (-x[j + half]) * sn[j];
        for (int64_t j = half; j < c->D; j++) y[j] = x[j] * cs[j] + x[j - half] * sn[j];
      } else {
        const float *dy = c->in + bhtd;
        float *dx = c->out + bthd;
        for (int64_t j = 0; j < half; j++) dx[j] = dy[j] * cs[j] + dy[j + half] * sn[j + half];
        for (int64_t j = half; j < c->D; j++) dx[j] = dy[j] * cs[j] - dy[j - half] * sn[j - half];
      }
    }
  }
}

static void run(int backward, const float *in, const float *cos, const float *sin, float *out, int64_t B, int64_t T,
                int64_t H, int64_t D, int64_t cs) {
  rope_ctx c = {.in = in, .cos = cos, .sin = sin, .out = out, .B = B, .T = T, .H = H, .D = D, .cs = cs,
                .backward = backward};
  int64_t grain = (1 << 14) / (H * D > 0 ? H * D : 1);
  pool_run(task, &c, B * T, grain > 0 ? grain : 1);
}

void rope_heads_forward(const float *x, const float *cos, const float *sin, float *y, int64_t B, int64_t T,
                        int64_t H, int64_t D, int64_t cs) {
  run(0, x, cos, sin, y, B, T, H, D, cs);
}

void rope_heads_backward(const float *dy, const float *cos, const float *sin, float *dx, int64_t B, int64_t T,
                         int64_t H, int64_t D, int64_t cs) {
  run(1, dy, cos, sin, dx, B, T, H, D, cs);
}
