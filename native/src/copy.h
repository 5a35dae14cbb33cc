// Strided copies of 4-byte elements: transpose, slice, split and concat are all one copy from
// a strided view of the source to a strided view of the destination.
#ifndef PEFT_COPY_H
#define PEFT_COPY_H

#include <stdint.h>

#define COPY_MAX_RANK 8

typedef struct {
  int rank;
  int64_t shape[COPY_MAX_RANK];
  int64_t src_stride[COPY_MAX_RANK];  // in elements
  int64_t dst_stride[COPY_MAX_RANK];
  const uint32_t *src;
  uint32_t *dst;
} copy_args;

// Copies every element of `shape`; modifies *c while simplifying it.
void strided_copy(copy_args *c);

#endif
