// Broadcast arithmetic. After dropping unit dimensions and merging neighbours that are contiguous in
// both inputs, the innermost dimension has one of four stride patterns (each input either walks or
// stays), each a simple loop the compiler vectorises; outer dimensions are walked by an odometer and
// split over the pool.
#include "binary.h"

#include "pool.h"
#include "simd.h"

#define GRAIN_ELEMS (1 << 15)

#define LOOP(EXPR)                                                                              \
  do {                                                                                         \
    if (sa == 1 && sb == 1)                                                                    \
      for (int64_t i = 0; i < n; i++) { float x = a[i], y = b[i]; o[i] = (EXPR); }             \
    else if (sa == 1 && sb == 0) {                                                             \
      float y = b[0];                                                                          \
      for (int64_t i = 0; i < n; i++) { float x = a[i]; o[i] = (EXPR); }                      \
    } else if (sa == 0 && sb == 1) {                                                           \
      float x = a[0];                                                                          \
      for (int64_t i = 0; i < n; i++) { float y = b[i]; o[i] = (EXPR); }                       \
    } else                                                                                     \
      for (int64_t i = 0; i < n; i++) { float x = a[i * sa], y = b[i * sb]; o[i] = (EXPR); }   \
  } while (0)

VECTOR_CLONES static void row(int op, const float *a, int64_t sa, const float *b, int64_t sb, float *o, int64_t n) {
  switch (op) {
    case OP_ADD:
      LOOP(x + y);
      break;
    case OP_SUB:
      LOOP(x - y);
      break;
    case OP_MUL:
      LOOP(x * y);
      break;
    default:
      LOOP(x / y);
      break;
  }
}

static void task(void *ctx, int64_t begin, int64_t end) {
  const binary_args *p = ctx;
  const views *v = &p->v;
  int r = v->rank, outer = r - 1;
  int64_t n = v->shape[r - 1];
  int64_t idx[VIEWS_MAX_RANK] = {0}, ao = 0, bo = 0, item = begin;
  for (int d = outer - 1; d >= 0; d--) {
    idx[d] = item % v->shape[d];
    item /= v->shape[d];
    ao += idx[d] * v->s0[d];
    bo += idx[d] * v->s1[d];
  }
  for (int64_t i = begin; i < end; i++) {
    row(p->op, p->a + ao, v->s0[r - 1], p->b + bo, v->s1[r - 1], p->out + i * n, n);
    for (int d = outer - 1; d >= 0; d--) {
      idx[d]++;
      ao += v->s0[d];
      bo += v->s1[d];
      if (idx[d] < v->shape[d]) break;
      ao -= v->s0[d] * v->shape[d];
      bo -= v->s1[d] * v->shape[d];
      idx[d] = 0;
    }
  }
}

void binary_op(binary_args *p) {
  views *v = &p->v;
  // The output is contiguous, so merging where both inputs are keeps it contiguous too.
  if (!views_simplify(v)) return;
  if (v->rank == 0) {  // a single element
    v->shape[0] = 1;
    v->s0[0] = v->s1[0] = 0;
    v->rank = 1;
  }
  int r = v->rank;
  int64_t n = v->shape[r - 1], rows = 1;
  for (int d = 0; d < r - 1; d++) rows *= v->shape[d];
  int64_t grain = GRAIN_ELEMS / n;
  pool_run(task, p, rows, grain > 0 ? grain : 1);
}
