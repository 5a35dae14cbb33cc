// Row gather of 4-byte elements: out[o, i, :] = x[o, indices[i], :].
#ifndef PEFT_GATHER_H
#define PEFT_GATHER_H

#include <stdint.h>

typedef struct {
  const uint32_t *x;
  const int32_t *indices;
  uint32_t *out;
  int64_t outer, axis, inner, count;  // x is [outer, axis, inner]; count indices
} gather_args;

// Returns the position of the first index outside [0, axis), or -1 when all are valid (then gathers).
int64_t gather_rows(const gather_args *g);

#endif
