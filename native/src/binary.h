// Elementwise float32 arithmetic with NumPy broadcasting: out = a (op) b.
#ifndef PEFT_BINARY_H
#define PEFT_BINARY_H

#include <stdint.h>

#define BINARY_MAX_RANK 8

// Operation codes shared with lib/backend/native/kernels/binary.ts (keep in sync).
enum { OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_DIV = 3 };

typedef struct {
  int op;
  int rank;
  int64_t shape[BINARY_MAX_RANK];     // the output's
  int64_t a_stride[BINARY_MAX_RANK];  // in elements; 0 where a broadcasts
  int64_t b_stride[BINARY_MAX_RANK];
  const float *a, *b;
  float *out;  // contiguous
} binary_args;

// Modifies *p while simplifying it.
void binary_op(binary_args *p);

#endif
