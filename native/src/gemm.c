// Batched GEMM. One big product is handed to OpenBLAS, which splits it over its own threads;
// many small products (attention's per-head matrices) are spread over the pool instead, one
// single-threaded OpenBLAS call per matrix, because OpenBLAS's threading does not pay off
// below a few MFLOP and its per-call thread hand-off would dominate.
#include "gemm.h"

#include <cblas.h>
#include <string.h>

#include "pool.h"

// Per-matrix multiply-adds above which a single product is worth OpenBLAS's threads.
#define LARGE_MNK (1 << 21)

static int blas_threads = 1;

void gemm_set_threads(int threads) {
  blas_threads = threads < 1 ? 1 : threads;
  openblas_set_num_threads(blas_threads);
}

static void one(const gemm_args *g, int64_t i) {
  const float *a = g->a + i * g->stride_a;
  const float *b = g->b + i * g->stride_b;
  float *c = g->c + i * g->stride_c;
  if (g->k == 0) {  // an empty sum: BLAS implementations disagree on whether they touch C
    for (int64_t j = 0; j < g->m * g->n; j++) c[j] = g->beta == 0 ? 0 : g->beta * c[j];
    return;
  }
  cblas_sgemm(CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans, g->trans_b ? CblasTrans : CblasNoTrans,
              (blasint)g->m, (blasint)g->n, (blasint)g->k, 1.0f, a, (blasint)(g->trans_a ? g->m : g->k), b,
              (blasint)(g->trans_b ? g->k : g->n), g->beta, c, (blasint)g->n);
}

static void range(void *ctx, int64_t begin, int64_t end) {
  const gemm_args *g = ctx;
  for (int64_t i = begin; i < end; i++) one(g, i);
}

void gemm_batched(const gemm_args *g) {
  if (g->m == 0 || g->n == 0 || g->batch == 0) return;
  double mnk = (double)g->m * (double)g->n * (double)g->k;
  if (g->batch == 1 || mnk >= LARGE_MNK || pool_threads() < 2) {
    range((void *)g, 0, g->batch);
    return;
  }
  // Each pool thread runs whole matrices; OpenBLAS must not start its own threads meanwhile.
  openblas_set_num_threads(1);
  pool_run(range, (void *)g, g->batch, 1);
  openblas_set_num_threads(blas_threads);
}
