#include "protocols/rdb_encodings.h"

#include <cstdint>
#include <cstring>

namespace ra {
namespace {

uint64_t LoadLe(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

int64_t SignExtend(uint64_t v, int bits) {
  const uint64_t m = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ m) - m);
}

}  // namespace

bool DecodeZiplist(std::string_view blob, std::vector<std::string>* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(blob.data());
  const size_t n = blob.size();
  if (n < 11 || LoadLe(p, 4) != n) return false;
  size_t i = 10;
  while (i < n && p[i] != 0xff) {
    // prevlen: 1 byte, or 0xfe and 4 bytes
    if (p[i] == 0xfe) {
      if (i + 5 > n) return false;
      i += 5;
    } else {
      i += 1;
    }
    if (i >= n) return false;
    const unsigned char enc = p[i];
    if ((enc >> 6) == 0 || (enc >> 6) == 1 || (enc >> 6) == 2) {
      size_t len, hdr;
      if ((enc >> 6) == 0) {
        len = enc & 0x3f;
        hdr = 1;
      } else if ((enc >> 6) == 1) {
        if (i + 2 > n) return false;
        len = ((enc & 0x3f) << 8) | p[i + 1];
        hdr = 2;
      } else {
        if (i + 5 > n) return false;
        len = (static_cast<size_t>(p[i + 1]) << 24) | (p[i + 2] << 16) | (p[i + 3] << 8) | p[i + 4];
        hdr = 5;
      }
      if (len > n || i + hdr + len > n) return false;
      out->emplace_back(blob.substr(i + hdr, len));
      i += hdr + len;
    } else {
      int64_t v;
      size_t len;
      if (enc == 0xc0) {
        len = 2;
      } else if (enc == 0xd0) {
        len = 4;
      } else if (enc == 0xe0) {
        len = 8;
      } else if (enc == 0xf0) {
        len = 3;
      } else if (enc == 0xfe) {
        len = 1;
      } else if (enc >= 0xf1 && enc <= 0xfd) {
        out->push_back(std::to_string((enc & 0x0f) - 1));
        i += 1;
        continue;
      } else {
        return false;
      }
      if (i + 1 + len > n) return false;
      v = SignExtend(LoadLe(p + i + 1, static_cast<int>(len)), static_cast<int>(len * 8));
      out->push_back(std::to_string(v));
      i += 1 + len;
    }
  }
  return i == n - 1 && p[i] == 0xff;
}

bool DecodeListpack(std::string_view blob, std::vector<std::string>* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(blob.data());
  const size_t n = blob.size();
  if (n < 7 || LoadLe(p, 4) != n) return false;
  const uint64_t declared = LoadLe(p + 4, 2);
  size_t i = 6;
  uint64_t count = 0;
  while (i < n && p[i] != 0xff) {
    const unsigned char b = p[i];
    size_t entry;  // encoding + data bytes
    if ((b & 0x80) == 0) {
      out->push_back(std::to_string(b & 0x7f));
      entry = 1;
    } else if ((b & 0xc0) == 0x80) {
      const size_t len = b & 0x3f;
      if (i + 1 + len > n) return false;
      out->emplace_back(blob.substr(i + 1, len));
      entry = 1 + len;
    } else if ((b & 0xe0) == 0xc0) {
      if (i + 2 > n) return false;
      out->push_back(std::to_string(SignExtend(((b & 0x1f) << 8) | p[i + 1], 13)));
      entry = 2;
    } else if ((b & 0xf0) == 0xe0) {
      if (i + 2 > n) return false;
      const size_t len = ((b & 0x0f) << 8) | p[i + 1];
      if (i + 2 + len > n) return false;
      out->emplace_back(blob.substr(i + 2, len));
      entry = 2 + len;
    } else if (b == 0xf0) {
      if (i + 5 > n) return false;
      const size_t len = LoadLe(p + i + 1, 4);
      if (len > n || i + 5 + len > n) return false;
      out->emplace_back(blob.substr(i + 5, len));
      entry = 5 + len;
    } else if (b >= 0xf1 && b <= 0xf4) {
      const int bytes = b == 0xf1 ? 2 : b == 0xf2 ? 3 : b == 0xf3 ? 4 : 8;
      if (i + 1 + bytes > n) return false;
      out->push_back(std::to_string(SignExtend(LoadLe(p + i + 1, bytes), bytes * 8)));
      entry = 1 + bytes;
    } else {
      return false;
    }
    // backlen: the entry size in 1..5 bytes of 7 bits, stored back to front.
    const size_t backlen = entry <= 127        ? 1
                           : entry < 16383     ? 2
                           : entry < 2097151   ? 3
                           : entry < 268435455 ? 4
                                               : 5;
    i += entry + backlen;
    if (i > n) return false;
    ++count;
  }
  if (i != n - 1) return false;
  return declared == 65535 || declared == count;
}

bool DecodeIntset(std::string_view blob, std::vector<std::string>* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(blob.data());
  if (blob.size() < 8) return false;
  const uint64_t width = LoadLe(p, 4);
  const uint64_t count = LoadLe(p + 4, 4);
  if ((width != 2 && width != 4 && width != 8) || blob.size() != 8 + width * count) return false;
  for (uint64_t k = 0; k < count; ++k) {
    out->push_back(std::to_string(SignExtend(LoadLe(p + 8 + k * width, static_cast<int>(width)),
                                             static_cast<int>(width * 8))));
  }
  return true;
}

bool DecodeZipmap(std::string_view blob, std::vector<std::string>* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(blob.data());
  const size_t n = blob.size();
  if (n < 2) return false;
  size_t i = 1;
  auto read_len = [&](size_t* len) {
    if (i >= n) return false;
    if (p[i] < 254) {
      *len = p[i];
      i += 1;
      return true;
    }
    if (p[i] == 254 && i + 5 <= n) {
      *len = LoadLe(p + i + 1, 4);
      i += 5;
      return true;
    }
    return false;
  };
  while (i < n && p[i] != 0xff) {
    size_t klen, vlen;
    if (!read_len(&klen) || klen > n || i + klen > n) return false;
    out->emplace_back(blob.substr(i, klen));
    i += klen;
    if (!read_len(&vlen) || i >= n) return false;
    const size_t free = p[i++];
    if (vlen > n || i + vlen + free > n) return false;
    out->emplace_back(blob.substr(i, vlen));
    i += vlen + free;
  }
  return i == n - 1;
}

bool LzfDecompress(std::string_view in, size_t out_len, std::string* out) {
  // A back reference (at most 3 bytes) expands to at most 264 bytes: a larger claimed length is
  // corrupt, and must not be allocated before that is known (a few bytes could ask for GBs).
  if (out_len / 88 > in.size()) return false;
  out->assign(out_len, '\0');
  const auto* ip = reinterpret_cast<const unsigned char*>(in.data());
  const auto* in_end = ip + in.size();
  size_t op = 0;
  while (ip < in_end) {
    unsigned ctrl = *ip++;
    if (ctrl < 32) {  // literal run of ctrl + 1 bytes
      const size_t len = ctrl + 1;
      if (op + len > out_len || ip + len > in_end) return false;
      std::memcpy(out->data() + op, ip, len);
      op += len;
      ip += len;
    } else {  // back reference
      size_t len = ctrl >> 5;
      if (len == 7) {
        if (ip >= in_end) return false;
        len += *ip++;
      }
      if (ip >= in_end) return false;
      const size_t back = ((ctrl & 0x1f) << 8) + *ip++ + 1;
      len += 2;
      if (back > op || op + len > out_len) return false;
      for (size_t k = 0; k < len; ++k, ++op) (*out)[op] = (*out)[op - back];
    }
  }
  return op == out_len;
}

}  // namespace ra
