// ScanUntilAny: how many bytes from p come before the first of up to 8 stop bytes — the inner
// loop of the SQL splitters and of the INSERT row counter, which spend most of their time
// skipping string contents and plain code. SSE2 (every x86-64) compares 16 bytes at a time;
// elsewhere one byte at a time. Pure.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ra {

template <size_t N>
inline size_t ScanUntilAny(const char* p, size_t n, const char (&stops)[N]) {
  static_assert(N >= 1 && N <= 8, "1 to 8 stop bytes");
  size_t i = 0;
#if defined(__SSE2__)
  __m128i want[N];
  for (size_t k = 0; k < N; ++k) want[k] = _mm_set1_epi8(stops[k]);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i hit = _mm_cmpeq_epi8(v, want[0]);
    for (size_t k = 1; k < N; ++k) hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, want[k]));
    const int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  for (; i < n; ++i) {
    for (size_t k = 0; k < N; ++k)
      if (p[i] == stops[k]) return i;
  }
  return n;
}

}  // namespace ra
