// Bias add and activation applied in place to a GEMM's output (the epilogue of _FusedMatMul).
#ifndef PEFT_ACT_H
#define PEFT_ACT_H

#include <stdint.h>

// Activation codes shared with lib/backend/native/kernels (keep in sync).
enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_ELU = 3, ACT_LEAKYRELU = 4, ACT_SIGMOID = 5 };

// c[r, j] = act(c[r, j] + bias[j]) for rows x n; bias may be NULL.
void bias_activation(float *c, int64_t rows, int64_t n, const float *bias, int act, float alpha);

#endif
