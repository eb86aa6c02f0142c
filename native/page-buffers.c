/*
 * Part buffers backed by transparent huge pages. A fresh 8 MiB buffer from malloc faults in 2,048 small pages on
 * first write; on the VMs we measured each fault costs 3–30 µs (the hypervisor backs guest memory lazily), so a
 * cold upload spent more CPU faulting its part buffers in than hashing and sending them. The same memory mapped
 * here and advised MADV_HUGEPAGE faults in as four 2 MiB pages (256 MiB: 710 ms → 15 ms when the kernel has huge
 * pages free; otherwise it falls back to small pages, as malloc would).
 *
 * alloc(size) returns a Buffer of exactly `size` bytes over a private anonymous mapping aligned to 2 MiB, unmapped
 * when the Buffer is garbage-collected. It reports the mapping to V8 as external memory, as Node's own allocator
 * does, so dropped buffers are collected under memory pressure.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)
/* Far above any part (5 GiB is OSS's largest) and far below overflow of the arithmetic below. */
#define MAX_SIZE ((size_t)1 << 40)

typedef struct {
  void *base;
  size_t length;
} mapping;

static void release(napi_env env, void *data, void *hint) {
  (void)data;
  mapping *m = hint;
  int64_t ignored;
  napi_adjust_external_memory(env, -(int64_t)m->length, &ignored);
  munmap(m->base, m->length);
  free(m);
}

static napi_value alloc(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  double requested;
  if (argc < 1 || napi_get_value_double(env, argv[0], &requested) != napi_ok || !(requested >= 1) ||
      requested > (double)MAX_SIZE || requested != (double)(size_t)requested) {
    napi_throw_range_error(env, NULL, "alloc(size) takes an integer size from 1 to 2^40");
    return NULL;
  }
  size_t size = (size_t)requested;
  /* Whole huge pages, plus one for aligning the start. */
  size_t rounded = (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  size_t length = rounded + HUGE_PAGE;
  void *base = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    napi_throw_error(env, "ENOMEM", "mmap failed");
    return NULL;
  }
  uint8_t *start = (uint8_t *)(((uintptr_t)base + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
  /* Advice only: without THP (or with it off) the kernel gives small pages, which is still a correct buffer. */
  madvise(start, rounded, MADV_HUGEPAGE);
  mapping *m = malloc(sizeof *m);
  if (m == NULL) {
    munmap(base, length);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  m->base = base;
  m->length = length;
  napi_value buffer;
  if (napi_create_external_buffer(env, size, start, release, m, &buffer) != napi_ok) {
    munmap(base, length);
    free(m);
    return NULL;
  }
  int64_t ignored;
  napi_adjust_external_memory(env, (int64_t)length, &ignored);
  return buffer;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  if (napi_create_function(env, "alloc", NAPI_AUTO_LENGTH, alloc, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "alloc", fn) != napi_ok) {
    return NULL;
  }
  return exports;
}
