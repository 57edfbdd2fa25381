#include "protocols/crc64.h"

#include <array>

namespace ra {
namespace {

// Slicing-by-8 tables, built once: the RDB checksum runs over every byte of a backup.
struct Tables {
  std::array<std::array<uint64_t, 256>, 8> t{};
  Tables() {
    constexpr uint64_t kPoly = 0x95ac9329ac4bc9b5ULL;  // 0xad93d23594c935a9 reflected
    for (uint64_t i = 0; i < 256; ++i) {
      uint64_t crc = i;
      for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ kPoly : crc >> 1;
      t[0][i] = crc;
    }
    for (int s = 1; s < 8; ++s) {
      for (int i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
  }
};

const Tables& GetTables() {
  static const Tables tables;
  return tables;
}

}  // namespace

uint64_t Crc64(uint64_t crc, const void* data, size_t len) {
  const auto& t = GetTables().t;
  const auto* p = static_cast<const unsigned char*>(data);
  while (len >= 8) {
    uint64_t v = crc;
    for (int i = 0; i < 8; ++i) v ^= static_cast<uint64_t>(p[i]) << (8 * i);
    crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^
          t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
    p += 8;
    len -= 8;
  }
  while (len-- > 0) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

}  // namespace ra
