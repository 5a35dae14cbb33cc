// A fixed pool of worker threads for the addon's own loops (GEMM batches, strided copies).
// OpenBLAS keeps its own threads for single large GEMMs; the two never run at the same time
// because every call from JavaScript is synchronous.
#ifndef PEFT_POOL_H
#define PEFT_POOL_H

#include <stdint.h>

// Work on items [begin, end); `ctx` is the caller's argument block.
typedef void (*pool_task)(void *ctx, int64_t begin, int64_t end);

// Sets the number of threads (caller included) used by pool_run; 1 disables the workers.
void pool_set_threads(int threads);
int pool_threads(void);

// Runs task over [0, items) split into contiguous chunks, one per thread, and returns when all
// chunks are done. Runs inline when items < 2 * grain or the pool has a single thread.
void pool_run(pool_task task, void *ctx, int64_t items, int64_t grain);

#endif
