// Single-precision batched GEMM on row-major matrices through OpenBLAS.
#ifndef PEFT_GEMM_H
#define PEFT_GEMM_H

#include <stdint.h>

typedef struct {
  int64_t m, n, k;
  int trans_a, trans_b;  // A is stored [k, m] / B is stored [n, k] when set
  const float *a, *b;
  float *c;
  int64_t batch;
  int64_t stride_a, stride_b, stride_c;  // elements between consecutive matrices; 0 broadcasts
  float beta;                            // C = op(A)·op(B) + beta·C
} gemm_args;

void gemm_batched(const gemm_args *g);

// OpenBLAS's own thread count (the pool's is set separately).
void gemm_set_threads(int threads);

#endif
