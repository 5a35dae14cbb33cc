// Thread pool: the caller runs chunk 0 and workers run the rest. Workers sleep on a condition
// variable between tasks; a task is published by bumping `generation` under the mutex.
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>

#define MAX_THREADS 256

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static pthread_t workers[MAX_THREADS];
// The generation current when each worker was created: a worker that first runs after a task was
// published must still take part in it.
static uint64_t born[MAX_THREADS];
static int started = 0;  // worker threads alive
static int active = 1;   // threads pool_run uses, caller included

static uint64_t generation = 0;
static pool_task cur_task;
static void *cur_ctx;
static int64_t cur_items;
static int cur_parts;
static int pending;

static void chunk(int part, int parts, int64_t items, int64_t *b, int64_t *e) {
  *b = items * part / parts;
  *e = items * (part + 1) / parts;
}

static void *worker_main(void *arg) {
  int index = (int)(intptr_t)arg;  // 1-based: part 0 is the caller's
  pthread_mutex_lock(&mu);
  uint64_t seen = born[index];
  for (;;) {
    while (generation == seen) pthread_cond_wait(&wake, &mu);
    seen = generation;
    if (index >= cur_parts) continue;  // not needed for this task
    pool_task task = cur_task;
    void *ctx = cur_ctx;
    int64_t b, e;
    chunk(index, cur_parts, cur_items, &b, &e);
    pthread_mutex_unlock(&mu);
    task(ctx, b, e);
    pthread_mutex_lock(&mu);
    if (--pending == 0) pthread_cond_signal(&done);
  }
  return NULL;
}

void pool_set_threads(int threads) {
  if (threads < 1) threads = 1;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  pthread_mutex_lock(&mu);
  // Workers are never stopped (a smaller count just leaves some idle); start the missing ones.
  while (started < threads - 1) {
    born[started + 1] = generation;
    if (pthread_create(&workers[started], NULL, worker_main, (void *)(intptr_t)(started + 1)) != 0) break;
    pthread_detach(workers[started]);
    started++;
  }
  active = threads <= started + 1 ? threads : started + 1;
  pthread_mutex_unlock(&mu);
}

int pool_threads(void) { return active; }

void pool_run(pool_task task, void *ctx, int64_t items, int64_t grain) {
  if (items <= 0) return;
  if (grain < 1) grain = 1;
  int64_t want = items / grain;
  int parts = want < active ? (int)want : active;
  if (parts < 2) {
    task(ctx, 0, items);
    return;
  }
  pthread_mutex_lock(&mu);
  cur_task = task;
  cur_ctx = ctx;
  cur_items = items;
  cur_parts = parts;
  pending = parts - 1;
  generation++;
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  int64_t b, e;
  chunk(0, parts, items, &b, &e);
  task(ctx, b, e);
  pthread_mutex_lock(&mu);
  while (pending > 0) pthread_cond_wait(&done, &mu);
  pthread_mutex_unlock(&mu);
}
