// Node-API argument helpers (see napi_util.h).
#include "napi_util.h"

#include <stdio.h>

int get_call(napi_env env, napi_callback_info info, call *c, size_t want) {
  c->env = env;
  c->argc = MAX_ARGS;
  if (want > MAX_ARGS || napi_get_cb_info(env, info, &c->argc, c->argv, NULL, NULL) != napi_ok || c->argc < want) {
    napi_throw_type_error(env, NULL, "peft_native: too few arguments");
    return 0;
  }
  void *data;
  if (napi_get_arraybuffer_info(env, c->argv[0], &data, &c->heap_bytes) != napi_ok) {
    napi_throw_type_error(env, NULL, "peft_native: expected the wasm heap (an ArrayBuffer) first");
    return 0;
  }
  c->heap = data;
  return 1;
}

int64_t i64(call *c, size_t i) {
  int64_t v = 0;
  napi_get_value_int64(c->env, c->argv[i], &v);
  return v;
}

double f64(call *c, size_t i) {
  double v = 0;
  napi_get_value_double(c->env, c->argv[i], &v);
  return v;
}

float *span(call *c, int64_t off, int64_t count, const char *what) {
  size_t elems = c->heap_bytes / 4;
  if (off < 0 || count < 0 || (uint64_t)off > elems || (uint64_t)count > elems - (uint64_t)off) {
    char msg[160];
    snprintf(msg, sizeof msg, "peft_native: %s [%lld, +%lld) lies outside the heap (%zu elements)", what,
             (long long)off, (long long)count, elems);
    napi_throw_range_error(c->env, NULL, msg);
    return NULL;
  }
  return (float *)c->heap + off;
}
