// Two strided views over one index space (a source and a destination, or two operands): the shape they
// share and each one's strides, in elements. Copies and broadcast arithmetic both start by simplifying it.
#ifndef PEFT_VIEWS_H
#define PEFT_VIEWS_H

#include <stdint.h>

#define VIEWS_MAX_RANK 8

typedef struct {
  int rank;
  int64_t shape[VIEWS_MAX_RANK];
  int64_t s0[VIEWS_MAX_RANK];  // first view's strides
  int64_t s1[VIEWS_MAX_RANK];  // second view's strides
} views;

// Drops size-1 dimensions and merges each dimension into its outer neighbour when both views are
// contiguous across the pair. Returns 0 when the shape has no elements, else 1.
int views_simplify(views *v);

#endif
