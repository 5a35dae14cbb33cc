// Elementwise float32 arithmetic with NumPy broadcasting: out = a (op) b.
#ifndef PEFT_BINARY_H
#define PEFT_BINARY_H

#include <stdint.h>

#include "views.h"

// Operation codes shared with lib/backend/native/kernels/binary.ts (keep in sync).
enum { OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_DIV = 3 };

typedef struct {
  int op;
  views v;  // the output's shape; s0, s1: a's and b's strides (0 where it broadcasts)
  const float *a, *b;
  float *out;  // contiguous
} binary_args;

// Modifies p->v while simplifying it.
void binary_op(binary_args *p);

#endif
