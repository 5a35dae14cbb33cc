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
  int r = p->rank, outer = r - 1;
  int64_t n = p->shape[r - 1];
  int64_t idx[BINARY_MAX_RANK] = {0}, ao = 0, bo = 0, item = begin;
  for (int d = outer - 1; d >= 0; d--) {
    idx[d] = item % p->shape[d];
    item /= p->shape[d];
    ao += idx[d] * p->a_stride[d];
    bo += idx[d] * p->b_stride[d];
  }
  for (int64_t i = begin; i < end; i++) {
    row(p->op, p->a + ao, p->a_stride[r - 1], p->b + bo, p->b_stride[r - 1], p->out + i * n, n);
    for (int d = outer - 1; d >= 0; d--) {
      idx[d]++;
      ao += p->a_stride[d];
      bo += p->b_stride[d];
      if (idx[d] < p->shape[d]) break;
      ao -= p->a_stride[d] * p->shape[d];
      bo -= p->b_stride[d] * p->shape[d];
      idx[d] = 0;
    }
  }
}

void binary_op(binary_args *p) {
  // Drop unit dimensions; merge a dimension into its outer neighbour when both inputs are contiguous
  // across the pair (the output always is).
  int r = 0;
  for (int d = 0; d < p->rank; d++) {
    if (p->shape[d] == 0) return;
    if (p->shape[d] == 1) continue;
    if (r > 0 && p->a_stride[r - 1] == p->a_stride[d] * p->shape[d] &&
        p->b_stride[r - 1] == p->b_stride[d] * p->shape[d]) {
      p->shape[r - 1] *= p->shape[d];
      p->a_stride[r - 1] = p->a_stride[d];
      p->b_stride[r - 1] = p->b_stride[d];
      continue;
    }
    p->shape[r] = p->shape[d];
    p->a_stride[r] = p->a_stride[d];
    p->b_stride[r] = p->b_stride[d];
    r++;
  }
  if (r == 0) {  // a single element
    p->shape[0] = 1;
    p->a_stride[0] = p->b_stride[0] = 0;
    r = 1;
  }
  p->rank = r;
  int64_t n = p->shape[r - 1], rows = 1;
  for (int d = 0; d < r - 1; d++) rows *= p->shape[d];
  int64_t grain = GRAIN_ELEMS / n;
  pool_run(task, p, rows, grain > 0 ? grain : 1);
}
