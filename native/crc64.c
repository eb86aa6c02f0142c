/*
 * CRC-64/XZ (OSS's x-oss-hash-crc64ecma) with carry-less multiplication, as an N-API addon for lib/core/crc64.ts.
 *
 * Method: Intel, "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction" (2009), reflected
 * variant: four 128-bit lanes are folded 512 bits forward per step, merged into one, that one folded over the
 * remaining 16-byte blocks, reduced to 64 bits by Barrett; the last 0..15 bytes go through a byte table. Where the
 * CPU has VPCLMULQDQ and AVX2, the same folding runs on 256-bit registers (two lanes each) for inputs of 256 bytes
 * and more. The constants and their derivation are in bench/tools/crc64-fold-constants.ts (which writes
 * crc64-constants.h).
 *
 * Safety, since this runs inside users' processes:
 * - Only the kernel functions are compiled for PCLMULQDQ (and VPCLMULQDQ/AVX2: target attributes), never the whole
 *   file: the module's init checks CPUID (and that the OS saves AVX registers) first and exports only the kernels
 *   the CPU can run, none at all on a CPU without PCLMULQDQ, so nothing can reach an instruction the CPU does not
 *   have. The rest is baseline x86-64 (SSE2).
 * - Every argument is checked here too (types, integer range within the view), whatever the JS caller checked.
 * - No allocation, no global mutable state (one module instance per worker thread shares nothing; each exported
 *   function carries a pointer to its read-only kernel table), no pointer arithmetic past the view; an empty range
 *   never touches the data pointer (it may be NULL).
 *
 * Build: npm run build:native (bench/tools/native-build.ts), which writes native/crc64-linux-x64.node.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <cpuid.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <immintrin.h>

#include "crc64-constants.h"

static uint64_t crc64_bytes(uint64_t reg, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) reg = CRC64_TABLE[(reg ^ p[i]) & 0xff] ^ (reg >> 8);
  return reg;
}

#define PCLMUL __attribute__((target("pclmul")))
#define VPCLMUL __attribute__((target("pclmul,avx2,vpclmulqdq")))
#define INLINE static inline __attribute__((always_inline))

/* X·x^D folded onto the lane D bits further: k holds (x^(D+63) mod P, x^(D-1) mod P). */
INLINE PCLMUL __m128i fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

INLINE PCLMUL __m128i constants(uint64_t lo, uint64_t hi) { return _mm_set_epi64x((int64_t)hi, (int64_t)lo); }

INLINE PCLMUL __m128i load(const uint8_t *p) { return _mm_loadu_si128((const __m128i *)(const void *)p); }

INLINE PCLMUL void store(uint8_t *q, __m128i x) { _mm_storeu_si128((__m128i *)(void *)q, x); }

/*
 * The bare register after the lane x0 (congruent to the message up to p) and then p[0, n): the 16-byte blocks left
 * are folded in one at a time, the lane is reduced to 64 bits by Barrett, and the last 0..15 bytes go through the
 * table. With `q` set, those bytes are also copied to q[0, n).
 */
INLINE PCLMUL uint64_t crc64_finish(__m128i x0, const uint8_t *p, uint8_t *q, size_t n) {
  const __m128i k128 = constants(CRC64_FOLD_128_LO, CRC64_FOLD_128_HI);
  while (n >= 16) {
    const __m128i y = load(p);
    if (q) {
      store(q, y);
      q += 16;
    }
    x0 = _mm_xor_si128(fold(x0, k128), y);
    p += 16;
    n -= 16;
  }
  /* Y = X·x^64 mod P up to a multiple of P, degree < 128: the high half moves to the low one. */
  const __m128i kr = constants(CRC64_REDUCE_127, CRC64_BARRETT_P1);
  const __m128i y = _mm_xor_si128(_mm_clmulepi64_si128(x0, kr, 0x00), _mm_srli_si128(x0, 8));
  /* Barrett on Y = Yh·x^64 + Yl: q = lo(clmul(Yh, mu)), remainder = hi(clmul(q, P1)) xor q, plus Yl. */
  const __m128i mu = _mm_cvtsi64_si128((int64_t)CRC64_BARRETT_MU);
  const __m128i quotient = _mm_clmulepi64_si128(y, mu, 0x00);
  const __m128i r = _mm_clmulepi64_si128(quotient, kr, 0x10);
  const __m128i sum = _mm_xor_si128(_mm_xor_si128(r, y), _mm_slli_si128(quotient, 8));
  const uint64_t reg = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sum, sum));
  if (q) memcpy(q, p, n);
  return crc64_bytes(reg, p, n);
}

/*
 * The bare register (no init/xorout) after `reg` and then p[0, n), n >= 16, with 128-bit lanes. With `q` set, every
 * block is also stored to q[0, n) straight from the register it was loaded into: copying and hashing in one pass
 * reads the source once, where memcpy and then a CRC of the copy read it twice. The entry points inline this with
 * `q` constant, so the hashing-only ones carry no store and no test.
 */
INLINE PCLMUL uint64_t crc64_fold_body(uint64_t reg, const uint8_t *p, uint8_t *q, size_t n) {
  /* The register is the first 64 message bits' xor mask: the low quadword of the first lane. */
  __m128i b0 = load(p);
  if (q) store(q, b0);
  __m128i x0 = _mm_xor_si128(b0, _mm_cvtsi64_si128((int64_t)reg));
  p += 16;
  if (q) q += 16;
  n -= 16;
  if (n >= 48) {
    const __m128i k512 = constants(CRC64_FOLD_512_LO, CRC64_FOLD_512_HI);
    const __m128i k128 = constants(CRC64_FOLD_128_LO, CRC64_FOLD_128_HI);
    __m128i x1 = load(p), x2 = load(p + 16), x3 = load(p + 32);
    if (q) {
      store(q, x1);
      store(q + 16, x2);
      store(q + 32, x3);
      q += 48;
    }
    p += 48;
    n -= 48;
    while (n >= 64) {
      const __m128i y0 = load(p), y1 = load(p + 16), y2 = load(p + 32), y3 = load(p + 48);
      if (q) {
        store(q, y0);
        store(q + 16, y1);
        store(q + 32, y2);
        store(q + 48, y3);
        q += 64;
      }
      x0 = _mm_xor_si128(fold(x0, k512), y0);
      x1 = _mm_xor_si128(fold(x1, k512), y1);
      x2 = _mm_xor_si128(fold(x2, k512), y2);
      x3 = _mm_xor_si128(fold(x3, k512), y3);
      p += 64;
      n -= 64;
    }
    x1 = _mm_xor_si128(fold(x0, k128), x1);
    x2 = _mm_xor_si128(fold(x1, k128), x2);
    x0 = _mm_xor_si128(fold(x2, k128), x3);
  }
  return crc64_finish(x0, p, q, n);
}

/* The 256-bit counterparts: each register holds two 128-bit lanes, folded alike with the same pair of constants. */
INLINE VPCLMUL __m256i fold2(__m256i x, __m256i k) {
  return _mm256_xor_si256(_mm256_clmulepi64_epi128(x, k, 0x00), _mm256_clmulepi64_epi128(x, k, 0x11));
}

INLINE VPCLMUL __m256i constants2(uint64_t lo, uint64_t hi) {
  return _mm256_broadcastsi128_si256(constants(lo, hi));
}

INLINE VPCLMUL __m256i load2(const uint8_t *p) { return _mm256_loadu_si256((const __m256i *)(const void *)p); }

INLINE VPCLMUL void store2(uint8_t *q, __m256i x) { _mm256_storeu_si256((__m256i *)(void *)q, x); }

/* Below this the wide kernel has nothing to gain: its four registers take 128 bytes before the first fold. */
#define WIDE_MIN 256

/*
 * crc64_fold_body with VPCLMULQDQ on 256-bit registers: four registers (eight lanes, 128 bytes) are folded 1024 bits
 * forward per step, merged into one register, that one folded over the 32-byte blocks left, its two lanes merged
 * into one and the rest finished as above. Twice the 128-bit kernel's speed on the one CPU measured, an AMD EPYC
 * (19-23 against 9-12 GB/s from 64 KiB up in C; the fused copy 14-15 against 9-12). AVX2 registers, not AVX-512
 * ones: the same instruction on more CPUs (AMD Zen 3, Intel Alder Lake), no frequency drop on Intel parts that
 * slow down for 512-bit work, and within 10-20 % of a 512-bit variant measured on the same EPYC.
 */
INLINE VPCLMUL uint64_t crc64_wide_body(uint64_t reg, const uint8_t *p, uint8_t *q, size_t n) {
  if (n < WIDE_MIN) return crc64_fold_body(reg, p, q, n);
  __m256i x0 = load2(p), x1 = load2(p + 32), x2 = load2(p + 64), x3 = load2(p + 96);
  if (q) {
    store2(q, x0);
    store2(q + 32, x1);
    store2(q + 64, x2);
    store2(q + 96, x3);
    q += 128;
  }
  x0 = _mm256_xor_si256(x0, _mm256_castsi128_si256(_mm_cvtsi64_si128((int64_t)reg)));
  p += 128;
  n -= 128;
  const __m256i k1024 = constants2(CRC64_FOLD_1024_LO, CRC64_FOLD_1024_HI);
  while (n >= 128) {
    const __m256i y0 = load2(p), y1 = load2(p + 32), y2 = load2(p + 64), y3 = load2(p + 96);
    if (q) {
      store2(q, y0);
      store2(q + 32, y1);
      store2(q + 64, y2);
      store2(q + 96, y3);
      q += 128;
    }
    x0 = _mm256_xor_si256(fold2(x0, k1024), y0);
    x1 = _mm256_xor_si256(fold2(x1, k1024), y1);
    x2 = _mm256_xor_si256(fold2(x2, k1024), y2);
    x3 = _mm256_xor_si256(fold2(x3, k1024), y3);
    p += 128;
    n -= 128;
  }
  const __m256i k256 = constants2(CRC64_FOLD_256_LO, CRC64_FOLD_256_HI);
  x1 = _mm256_xor_si256(fold2(x0, k256), x1);
  x2 = _mm256_xor_si256(fold2(x1, k256), x2);
  x0 = _mm256_xor_si256(fold2(x2, k256), x3);
  while (n >= 32) {
    const __m256i y = load2(p);
    if (q) {
      store2(q, y);
      q += 32;
    }
    x0 = _mm256_xor_si256(fold2(x0, k256), y);
    p += 32;
    n -= 32;
  }
  /* The low lane comes first in the message: fold it onto the high one. */
  const __m128i k128 = constants(CRC64_FOLD_128_LO, CRC64_FOLD_128_HI);
  const __m128i lane = _mm_xor_si128(fold(_mm256_castsi256_si128(x0), k128), _mm256_extracti128_si256(x0, 1));
  return crc64_finish(lane, p, q, n);
}

static PCLMUL uint64_t crc64_fold(uint64_t reg, const uint8_t *p, size_t n) {
  return crc64_fold_body(reg, p, NULL, n);
}

static PCLMUL uint64_t crc64_fold_copy(uint64_t reg, const uint8_t *p, uint8_t *q, size_t n) {
  return crc64_fold_body(reg, p, q, n);
}

static VPCLMUL uint64_t crc64_wide(uint64_t reg, const uint8_t *p, size_t n) {
  return crc64_wide_body(reg, p, NULL, n);
}

static VPCLMUL uint64_t crc64_wide_copy(uint64_t reg, const uint8_t *p, uint8_t *q, size_t n) {
  return crc64_wide_body(reg, p, q, n);
}

/* One kernel: its name (what the CPU instruction is called) and its two bodies, n >= 16. Read-only. */
struct kernel {
  const char *name;
  uint64_t (*fold)(uint64_t reg, const uint8_t *p, size_t n);
  uint64_t (*fold_copy)(uint64_t reg, const uint8_t *p, uint8_t *q, size_t n);
};

static const struct kernel NARROW = {"pclmulqdq", crc64_fold, crc64_fold_copy};
static const struct kernel WIDE = {"vpclmulqdq", crc64_wide, crc64_wide_copy};

/* CRC result (xorout applied) of the bytes before, continued over p[0, n). */
static uint64_t crc64_update(const struct kernel *k, uint64_t crc, const uint8_t *p, size_t n) {
  uint64_t reg = ~crc;
  if (n == 0) return crc;
  if (n < 16) return ~crc64_bytes(reg, p, n);
  return ~k->fold(reg, p, n);
}

/* Copies p[0, n) to q (the ranges do not overlap) and returns the CRC continued over those bytes. */
static uint64_t crc64_copy(const struct kernel *k, uint64_t crc, const uint8_t *p, uint8_t *q, size_t n) {
  if (n == 0) return crc;
  if (n < 16) {
    memcpy(q, p, n);
    return ~crc64_bytes(~crc, p, n);
  }
  return ~k->fold_copy(~crc, p, q, n);
}

static int read_index(napi_env env, napi_value value, double *out) {
  /* Fails (napi_number_expected) on anything but a number. */
  if (napi_get_value_double(env, value, out) != napi_ok) return 0;
  /* An integer in [0, 2^53]: anything else (NaN, infinities, fractions, negatives) is refused; the range test
   * comes first, so the conversion is always defined. */
  return *out >= 0 && *out <= 9007199254740992.0 && (double)(int64_t)*out == *out;
}

/*
 * The call's first `want` arguments into argv and the function's kernel into *k; 0 after throwing a TypeError
 * (with `usage`) when there are fewer.
 */
static int read_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *usage,
                     const struct kernel **k) {
  size_t argc = want;
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok) return 0;
  *k = (const struct kernel *)data;
  if (argc < want) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return 1;
}

/* The CRC result held in state[0] (low) and state[1] (high 32 bits), or NULL after throwing a TypeError. */
static int32_t *read_state(napi_env env, napi_value value) {
  /* napi_get_typedarray_info fails (napi_invalid_arg) on anything but a typed array. */
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_int32_array || length < 2 || data == NULL) {
    napi_throw_type_error(env, NULL, "state must be an Int32Array of at least 2 elements");
    return NULL;
  }
  return (int32_t *)data;
}

/* A Uint8Array's bytes and length; 0 after throwing a TypeError. The pointer may be NULL for an empty view. */
static int read_bytes(napi_env env, napi_value value, const char *message, uint8_t **bytes, size_t *length) {
  napi_typedarray_type type;
  void *data;
  if (napi_get_typedarray_info(env, value, &type, length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  /* The view's data pointer already includes its byteOffset. */
  *bytes = (uint8_t *)data;
  return 1;
}

/* [start, end) within a view of `length` bytes; 0 after throwing a RangeError. */
static int read_range(napi_env env, napi_value start_value, napi_value end_value, size_t length, size_t *from,
                      size_t *count) {
  double start, end;
  if (!read_index(env, start_value, &start) || !read_index(env, end_value, &end) || end < start ||
      end > (double)length) {
    napi_throw_range_error(env, NULL, "start and end must be integers with 0 <= start <= end <= data.length");
    return 0;
  }
  *from = (size_t)start;
  *count = (size_t)end - *from;
  return 1;
}

static uint64_t get_crc(const int32_t *words) { return ((uint64_t)(uint32_t)words[1] << 32) | (uint32_t)words[0]; }

static void set_crc(int32_t *words, uint64_t crc) {
  words[0] = (int32_t)(uint32_t)crc;
  words[1] = (int32_t)(uint32_t)(crc >> 32);
}

/*
 * update(state: Int32Array, data: Uint8Array, start: number, end: number): void. state[0] and state[1] hold the
 * low and high 32 bits of the CRC result so far (xorout applied, the form OSS prints); data[start, end) is folded
 * into it in place. Throws TypeError or RangeError on anything else, before reading a byte.
 */
static napi_value update(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  const struct kernel *k;
  if (!read_args(env, info, 4, argv, "update(state, data, start, end) takes 4 arguments", &k)) return NULL;
  int32_t *words = read_state(env, argv[0]);
  uint8_t *data;
  size_t length, from, count;
  if (words == NULL || !read_bytes(env, argv[1], "data must be a Uint8Array", &data, &length) ||
      !read_range(env, argv[2], argv[3], length, &from, &count)) {
    return NULL;
  }
  /* An empty range never touches the pointer: a detached or empty view may give NULL. */
  if (count == 0) return NULL;
  set_crc(words, crc64_update(k, get_crc(words), data + from, count));
  return NULL;
}

/*
 * copy(state, source: Uint8Array, start, end, target: Uint8Array, targetStart: number): void. Copies
 * source[start, end) to target[targetStart, targetStart + end - start) and folds those bytes into state, as
 * update() does, in one pass over them. Throws, before touching a byte, when either range does not fit its view;
 * overlapping ranges (one buffer's views) are copied as memmove would and then hashed from the target.
 */
static napi_value copy(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  const struct kernel *k;
  if (!read_args(env, info, 6, argv, "copy(state, source, start, end, target, targetStart) takes 6 arguments",
                 &k)) {
    return NULL;
  }
  int32_t *words = read_state(env, argv[0]);
  uint8_t *source, *target;
  size_t source_length, target_length, from, count;
  double to;
  if (words == NULL || !read_bytes(env, argv[1], "source must be a Uint8Array", &source, &source_length) ||
      !read_range(env, argv[2], argv[3], source_length, &from, &count) ||
      !read_bytes(env, argv[4], "target must be a Uint8Array", &target, &target_length)) {
    return NULL;
  }
  if (!read_index(env, argv[5], &to) || to > (double)target_length || (double)count > (double)target_length - to) {
    napi_throw_range_error(env, NULL, "targetStart must be an integer with room for end - start bytes in target");
    return NULL;
  }
  if (count == 0) return NULL;
  const uint8_t *p = source + from;
  uint8_t *q = target + (size_t)to;
  if ((uintptr_t)p < (uintptr_t)q + count && (uintptr_t)q < (uintptr_t)p + count) {
    memmove(q, p, count);
    set_crc(words, crc64_update(k, get_crc(words), q, count));
  } else {
    set_crc(words, crc64_copy(k, get_crc(words), p, q, count));
  }
  return NULL;
}

static int cpu_has_pclmul(void) {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  return (ecx & bit_PCLMUL) != 0;
}

/* VPCLMULQDQ and AVX2, and an OS that saves the 256-bit registers across context switches (XCR0 bits 1 and 2). */
static int cpu_has_vpclmul256(void) {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  if (!(ecx & bit_PCLMUL) || !(ecx & bit_AVX) || !(ecx & bit_OSXSAVE)) return 0;
  unsigned int xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 6) != 6) return 0;
  if (__get_cpuid_max(0, NULL) < 7) return 0;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  return (ebx & bit_AVX2) && (ecx & bit_VPCLMULQDQ);
}

/* { update, copy } bound to kernel k, set as exports[name]; 0 when N-API failed. */
static int export_kernel(napi_env env, napi_value target, const char *name, const struct kernel *k) {
  napi_value object, fn;
  void *data = (void *)(uintptr_t)k; /* N-API wants a void *; the functions only read through it */
  return napi_create_object(env, &object) == napi_ok &&
         napi_create_function(env, "update", NAPI_AUTO_LENGTH, update, data, &fn) == napi_ok &&
         napi_set_named_property(env, object, "update", fn) == napi_ok &&
         napi_create_function(env, "copy", NAPI_AUTO_LENGTH, copy, data, &fn) == napi_ok &&
         napi_set_named_property(env, object, "copy", fn) == napi_ok &&
         napi_set_named_property(env, target, name, object) == napi_ok;
}

/*
 * exports.cpu names the kernel chosen for this CPU ("vpclmulqdq", "pclmulqdq", or "unsupported" with nothing else
 * exported); exports.update and exports.copy are that kernel's; exports.kernels holds every kernel this CPU can
 * run, by name, so the specs check each of them on a machine that has the widest.
 */
NAPI_MODULE_INIT() {
  napi_value value, kernels;
  const struct kernel *best = cpu_has_vpclmul256() ? &WIDE : cpu_has_pclmul() ? &NARROW : NULL;
  if (napi_create_string_utf8(env, best ? best->name : "unsupported", NAPI_AUTO_LENGTH, &value) != napi_ok ||
      napi_set_named_property(env, exports, "cpu", value) != napi_ok) {
    return NULL;
  }
  if (best == NULL) return exports;
  void *data = (void *)(uintptr_t)best;
  if (napi_create_function(env, "update", NAPI_AUTO_LENGTH, update, data, &value) != napi_ok ||
      napi_set_named_property(env, exports, "update", value) != napi_ok ||
      napi_create_function(env, "copy", NAPI_AUTO_LENGTH, copy, data, &value) != napi_ok ||
      napi_set_named_property(env, exports, "copy", value) != napi_ok ||
      napi_create_object(env, &kernels) != napi_ok || !export_kernel(env, kernels, NARROW.name, &NARROW) ||
      (best == &WIDE && !export_kernel(env, kernels, WIDE.name, &WIDE)) ||
      napi_set_named_property(env, exports, "kernels", kernels) != napi_ok) {
    return NULL;
  }
  return exports;
}
