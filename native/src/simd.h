// Vectorisation helpers. Loops marked VECTOR_CLONES are compiled three times (AVX-512, AVX2, baseline
// SSE2) and the loader picks the widest the CPU runs, so one build is fast and portable; `omp simd`
// pragmas (compiled with -fopenmp-simd, no OpenMP runtime) let reductions use vector lanes.
#ifndef PEFT_SIMD_H
#define PEFT_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

// exp(x) for float, vectorisable (no call): Cephes' range reduction x = n ln2 + r and degree-6
// polynomial, within 2 ulp of expf; 0 below -87.3 and +inf above 88.3 (where expf over/underflows
// or its result leaves the normal range).
static inline float fast_expf(float x) {
  float xc = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
  float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
  float r = xc - n * 0.693359375f - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  float y = p * scale;
  y = x < -87.3f ? 0.0f : y;
  return x > 88.3f ? __builtin_inff() : y;
}

#endif
