#include "views.h"

int views_simplify(views *v) {
  int r = 0;
  for (int d = 0; d < v->rank; d++) {
    if (v->shape[d] == 0) return 0;
    if (v->shape[d] == 1) continue;
    if (r > 0 && v->s0[r - 1] == v->s0[d] * v->shape[d] && v->s1[r - 1] == v->s1[d] * v->shape[d]) {
      v->shape[r - 1] *= v->shape[d];
      v->s0[r - 1] = v->s0[d];
      v->s1[r - 1] = v->s1[d];
      continue;
    }
    v->shape[r] = v->shape[d];
    v->s0[r] = v->s0[d];
    v->s1[r] = v->s1[d];
    r++;
  }
  v->rank = r;
  return 1;
}
