// Strided copy in three shapes of loop, chosen after merging dimensions that are contiguous in
// both views:
//   runs      innermost dimension contiguous on both sides: one memcpy per run;
//   transpose destination contiguous innermost, source contiguous along another dimension:
//             16x16 tiles so that both sides touch few cache lines;
//   gather    anything else, element by element.
// The outer index space is split over the pool; each chunk walks it with an odometer.
#include "copy.h"

#include <string.h>

#include "pool.h"

#define TILE 16
// Elements a thread should copy at least before the pool is worth waking.
#define GRAIN_ELEMS (1 << 15)

typedef struct {
  int n;  // outer dimensions walked by the odometer
  int64_t shape[VIEWS_MAX_RANK], ss[VIEWS_MAX_RANK], ds[VIEWS_MAX_RANK];
} outer_dims;

typedef struct {
  outer_dims o;
  const uint32_t *src;
  uint32_t *dst;
  int64_t len, sstride, dstride;  // inner loop: len elements with these strides
  // transpose only: the tiled dimension (source-contiguous) and its destination stride
  int64_t tj, tj_dstride;
} plan;

// Offsets of outer item `item`, and an odometer positioned on it.
static void seek(const outer_dims *o, int64_t item, int64_t *idx, int64_t *so, int64_t *dof) {
  *so = 0;
  *dof = 0;
  for (int d = o->n - 1; d >= 0; d--) {
    idx[d] = item % o->shape[d];
    item /= o->shape[d];
    *so += idx[d] * o->ss[d];
    *dof += idx[d] * o->ds[d];
  }
}

static void advance(const outer_dims *o, int64_t *idx, int64_t *so, int64_t *dof) {
  for (int d = o->n - 1; d >= 0; d--) {
    idx[d]++;
    *so += o->ss[d];
    *dof += o->ds[d];
    if (idx[d] < o->shape[d]) return;
    *so -= o->ss[d] * o->shape[d];
    *dof -= o->ds[d] * o->shape[d];
    idx[d] = 0;
  }
}

static void run_runs(void *ctx, int64_t begin, int64_t end) {
  const plan *p = ctx;
  int64_t idx[VIEWS_MAX_RANK], so, dof;
  seek(&p->o, begin, idx, &so, &dof);
  for (int64_t i = begin; i < end; i++) {
    memcpy(p->dst + dof, p->src + so, (size_t)p->len * 4);
    advance(&p->o, idx, &so, &dof);
  }
}

static void run_gather(void *ctx, int64_t begin, int64_t end) {
  const plan *p = ctx;
  int64_t idx[VIEWS_MAX_RANK], so, dof;
  seek(&p->o, begin, idx, &so, &dof);
  for (int64_t i = begin; i < end; i++) {
    const uint32_t *s = p->src + so;
    uint32_t *d = p->dst + dof;
    for (int64_t l = 0; l < p->len; l++) d[l * p->dstride] = s[l * p->sstride];
    advance(&p->o, idx, &so, &dof);
  }
}

// Items are (outer index, tile row); the plane is tj x len with the source contiguous along tj
// and the destination contiguous along len.
static void run_transpose(void *ctx, int64_t begin, int64_t end) {
  const plan *p = ctx;
  int64_t rows = (p->tj + TILE - 1) / TILE;
  int64_t idx[VIEWS_MAX_RANK], so, dof;
  int64_t outer = begin / rows;
  seek(&p->o, outer, idx, &so, &dof);
  for (int64_t i = begin; i < end; i++) {
    if (i / rows != outer) {
      outer = i / rows;
      advance(&p->o, idx, &so, &dof);
    }
    int64_t j0 = (i % rows) * TILE;
    int64_t j1 = j0 + TILE < p->tj ? j0 + TILE : p->tj;
    for (int64_t l0 = 0; l0 < p->len; l0 += TILE) {
      int64_t l1 = l0 + TILE < p->len ? l0 + TILE : p->len;
      for (int64_t j = j0; j < j1; j++) {
        const uint32_t *s = p->src + so + j;
        uint32_t *d = p->dst + dof + j * p->tj_dstride;
        for (int64_t l = l0; l < l1; l++) d[l] = s[l * p->sstride];
      }
    }
  }
}

static int64_t grain_for(int64_t elems_per_item) {
  int64_t g = GRAIN_ELEMS / (elems_per_item > 0 ? elems_per_item : 1);
  return g > 0 ? g : 1;
}

void strided_copy(copy_args *c) {
  views *v = &c->v;
  if (!views_simplify(v)) return;
  if (v->rank == 0) {
    c->dst[0] = c->src[0];
    return;
  }
  int last = v->rank - 1;
  plan p = {.src = c->src, .dst = c->dst, .len = v->shape[last]};
  p.sstride = v->s0[last];
  p.dstride = v->s1[last];
  int tiled = -1;
  if (p.dstride == 1 && p.sstride != 1)
    for (int d = 0; d < last; d++)
      if (v->s0[d] == 1) tiled = d;
  for (int d = 0; d < last; d++) {
    if (d == tiled) continue;
    p.o.shape[p.o.n] = v->shape[d];
    p.o.ss[p.o.n] = v->s0[d];
    p.o.ds[p.o.n] = v->s1[d];
    p.o.n++;
  }
  int64_t outer = 1;
  for (int d = 0; d < p.o.n; d++) outer *= p.o.shape[d];
  if (p.sstride == 1 && p.dstride == 1) {
    pool_run(run_runs, &p, outer, grain_for(p.len));
  } else if (tiled >= 0) {
    p.tj = v->shape[tiled];
    p.tj_dstride = v->s1[tiled];
    int64_t rows = (p.tj + TILE - 1) / TILE;
    pool_run(run_transpose, &p, outer * rows, grain_for(p.len * TILE));
  } else {
    pool_run(run_gather, &p, outer, grain_for(p.len));
  }
}
