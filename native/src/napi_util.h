// Helpers shared by the Node-API bindings: argument access and heap spans checked against the heap's size.
#ifndef PEFT_NAPI_UTIL_H
#define PEFT_NAPI_UTIL_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>

#define CHECK(call)                                                 \
  do {                                                              \
    if ((call) != napi_ok) {                                        \
      napi_throw_error(env, NULL, "peft_native: " #call " failed"); \
      return NULL;                                                  \
    }                                                               \
  } while (0)

#define MAX_ARGS 24

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  uint8_t *heap;
  size_t heap_bytes;
} call;

// Reads the arguments (at least `want`, the first being the heap ArrayBuffer); 0 after throwing.
int get_call(napi_env env, napi_callback_info info, call *c, size_t want);
int64_t i64(call *c, size_t i);
double f64(call *c, size_t i);
// A float pointer to `count` elements at element offset `off` of the heap, or NULL after a RangeError.
float *span(call *c, int64_t off, int64_t count, const char *what);

// Registers the fused kernels' bindings (fused_api.c).
napi_status register_fused(napi_env env, napi_value exports);

#endif
