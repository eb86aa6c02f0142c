/*
 * CRC-64/XZ (OSS's x-oss-hash-crc64ecma) with carry-less multiplication, as an N-API addon for lib/core/crc64.ts.
 *
 * Method: Intel, "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction" (2009), reflected
 * variant: four 128-bit lanes are folded 512 bits forward per step, merged into one, that one folded over the
 * remaining 16-byte blocks, reduced to 64 bits by Barrett; the last 0..15 bytes go through a byte table. The
 * constants and their derivation are in bench/tools/crc64-fold-constants.ts (which writes crc64-constants.h).
 *
 * Safety, since this runs inside users' processes:
 * - Only the kernel function is compiled for PCLMULQDQ (a target attribute), never the whole file: the module's
 *   init checks CPUID first and, on a CPU without the instruction, exports no `update` at all, so nothing can
 *   reach an instruction the CPU does not have. The rest is baseline x86-64 (SSE2).
 * - Every argument is checked here too (types, integer range within the view), whatever the JS caller checked.
 * - No allocation, no global mutable state (one module instance per worker thread shares nothing), no pointer
 *   arithmetic past the view; an empty range never touches the data pointer (it may be NULL).
 *
 * Build: npm run build:native (bench/tools/native-build.ts), which writes native/crc64-linux-x64.node.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <cpuid.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <immintrin.h>

#include "crc64-constants.h"

static uint64_t crc64_bytes(uint64_t reg, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) reg = CRC64_TABLE[(reg ^ p[i]) & 0xff] ^ (reg >> 8);
  return reg;
}

#define PCLMUL __attribute__((target("pclmul")))

/* X·x^D folded onto the lane D bits further: k holds (x^(D+63) mod P, x^(D-1) mod P). */
static inline PCLMUL __m128i fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

static inline PCLMUL __m128i load(const uint8_t *p) { return _mm_loadu_si128((const __m128i *)(const void *)p); }

/* The bare register (no init/xorout) after `reg` and then p[0, n), n >= 16. */
static PCLMUL uint64_t crc64_fold(uint64_t reg, const uint8_t *p, size_t n) {
  const __m128i k128 = _mm_set_epi64x((int64_t)CRC64_FOLD_128_HI, (int64_t)CRC64_FOLD_128_LO);
  /* The register is the first 64 message bits' xor mask: the low quadword of the first lane. */
  __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi64_si128((int64_t)reg));
  p += 16;
  n -= 16;
  if (n >= 48) {
    const __m128i k512 = _mm_set_epi64x((int64_t)CRC64_FOLD_512_HI, (int64_t)CRC64_FOLD_512_LO);
    __m128i x1 = load(p), x2 = load(p + 16), x3 = load(p + 32);
    p += 48;
    n -= 48;
    while (n >= 64) {
      x0 = _mm_xor_si128(fold(x0, k512), load(p));
      x1 = _mm_xor_si128(fold(x1, k512), load(p + 16));
      x2 = _mm_xor_si128(fold(x2, k512), load(p + 32));
      x3 = _mm_xor_si128(fold(x3, k512), load(p + 48));
      p += 64;
      n -= 64;
    }
    x1 = _mm_xor_si128(fold(x0, k128), x1);
    x2 = _mm_xor_si128(fold(x1, k128), x2);
    x0 = _mm_xor_si128(fold(x2, k128), x3);
  }
  while (n >= 16) {
    x0 = _mm_xor_si128(fold(x0, k128), load(p));
    p += 16;
    n -= 16;
  }
  /* Y = X·x^64 mod P up to a multiple of P, degree < 128: the high half moves to the low one. */
  const __m128i kr = _mm_set_epi64x((int64_t)CRC64_BARRETT_P1, (int64_t)CRC64_REDUCE_127);
  const __m128i y = _mm_xor_si128(_mm_clmulepi64_si128(x0, kr, 0x00), _mm_srli_si128(x0, 8));
  /* Barrett on Y = Yh·x^64 + Yl: q = lo(clmul(Yh, mu)), remainder = hi(clmul(q, P1)) xor q, plus Yl. */
  const __m128i mu = _mm_cvtsi64_si128((int64_t)CRC64_BARRETT_MU);
  const __m128i q = _mm_clmulepi64_si128(y, mu, 0x00);
  const __m128i r = _mm_clmulepi64_si128(q, kr, 0x10);
  const __m128i sum = _mm_xor_si128(_mm_xor_si128(r, y), _mm_slli_si128(q, 8));
  reg = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sum, sum));
  return crc64_bytes(reg, p, n);
}

/* CRC result (xorout applied) of the bytes before, continued over p[0, n). */
static uint64_t crc64_update(uint64_t crc, const uint8_t *p, size_t n) {
  uint64_t reg = ~crc;
  if (n == 0) return crc;
  if (n < 16) return ~crc64_bytes(reg, p, n);
  return ~crc64_fold(reg, p, n);
}

static int read_index(napi_env env, napi_value value, double *out) {
  /* Fails (napi_number_expected) on anything but a number. */
  if (napi_get_value_double(env, value, out) != napi_ok) return 0;
  /* An integer in [0, 2^53]: anything else (NaN, infinities, fractions, negatives) is refused; the range test
   * comes first, so the conversion is always defined. */
  return *out >= 0 && *out <= 9007199254740992.0 && (double)(int64_t)*out == *out;
}

/*
 * update(state: Int32Array, data: Uint8Array, start: number, end: number): void. state[0] and state[1] hold the
 * low and high 32 bits of the CRC result so far (xorout applied, the form OSS prints); data[start, end) is folded
 * into it in place. Throws TypeError or RangeError on anything else, before reading a byte.
 */
static napi_value update(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "update(state, data, start, end) takes 4 arguments");
    return NULL;
  }
  /* napi_get_typedarray_info fails (napi_invalid_arg) on anything but a typed array. */
  napi_typedarray_type type;
  size_t state_length, data_length;
  void *state_data, *data;
  if (napi_get_typedarray_info(env, argv[0], &type, &state_length, &state_data, NULL, NULL) != napi_ok ||
      type != napi_int32_array || state_length < 2 || state_data == NULL) {
    napi_throw_type_error(env, NULL, "state must be an Int32Array of at least 2 elements");
    return NULL;
  }
  if (napi_get_typedarray_info(env, argv[1], &type, &data_length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "data must be a Uint8Array");
    return NULL;
  }
  double start, end;
  if (!read_index(env, argv[2], &start) || !read_index(env, argv[3], &end) || end < start ||
      end > (double)data_length) {
    napi_throw_range_error(env, NULL, "start and end must be integers with 0 <= start <= end <= data.length");
    return NULL;
  }
  size_t from = (size_t)start, count = (size_t)end - from;
  /* The view's data pointer already includes its byteOffset; a detached or empty view may give NULL. */
  if (count == 0) return NULL;
  int32_t *words = (int32_t *)state_data;
  uint64_t crc = ((uint64_t)(uint32_t)words[1] << 32) | (uint32_t)words[0];
  crc = crc64_update(crc, (const uint8_t *)data + from, count);
  words[0] = (int32_t)(uint32_t)crc;
  words[1] = (int32_t)(uint32_t)(crc >> 32);
  return NULL;
}

static int cpu_has_pclmul(void) {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  return (ecx & bit_PCLMUL) != 0;
}

NAPI_MODULE_INIT() {
  napi_value value;
  const int supported = cpu_has_pclmul();
  if (napi_create_string_utf8(env, supported ? "pclmulqdq" : "unsupported", NAPI_AUTO_LENGTH, &value) != napi_ok ||
      napi_set_named_property(env, exports, "cpu", value) != napi_ok) {
    return NULL;
  }
  if (supported) {
    if (napi_create_function(env, "update", NAPI_AUTO_LENGTH, update, NULL, &value) != napi_ok ||
        napi_set_named_property(env, exports, "update", value) != napi_ok) {
      return NULL;
    }
  }
  return exports;
}
