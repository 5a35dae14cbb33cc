#include "gather.h"

#include <string.h>

#include "pool.h"

static void task(void *ctx, int64_t begin, int64_t end) {
  const gather_args *g = ctx;
  for (int64_t r = begin; r < end; r++) {  // r walks (o, i)
    int64_t o = r / g->count, i = r % g->count;
    memcpy(g->out + r * g->inner, g->x + (o * g->axis + g->indices[i]) * g->inner, (size_t)g->inner * 4);
  }
}

int64_t gather_rows(const gather_args *g) {
  for (int64_t i = 0; i < g->count; i++)
    if (g->indices[i] < 0 || g->indices[i] >= g->axis) return i;
  int64_t grain = (1 << 15) / (g->inner > 0 ? g->inner : 1);
  pool_run(task, (void *)g, g->outer * g->count, grain > 0 ? grain : 1);
  return -1;
}
