// Strided copies of 4-byte elements: transpose, slice, split and concat are all one copy from
// a strided view of the source to a strided view of the destination.
#ifndef PEFT_COPY_H
#define PEFT_COPY_H

#include <stdint.h>

#include "views.h"

typedef struct {
  views v;  // s0: source strides, s1: destination strides
  const uint32_t *src;
  uint32_t *dst;
} copy_args;

// Copies every element of the views' shape; modifies c->v while simplifying it.
void strided_copy(copy_args *c);

#endif
