// Shared by the libFuzzer targets: the first input byte chooses how the rest is cut into chunks,
// so that every target is also fuzzed at every chunk size (1 byte included).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ra::fuzz {

struct Chunked {
  Chunked(const uint8_t* data, size_t size)
      : step(size == 0 ? 1 : 1 + (data[0] % 64) * (data[0] >= 192 ? 1024 : 1)),
        rest(reinterpret_cast<const char*>(data) + (size ? 1 : 0), size ? size - 1 : 0) {}
  // The next chunk; empty at the end.
  std::string_view Next() {
    const size_t n = std::min(step, rest.size());
    const std::string_view out = rest.substr(0, n);
    rest.remove_prefix(n);
    return out;
  }
  size_t Read(char* buf, size_t cap) {
    const std::string_view c = Next();
    const size_t n = std::min(cap, c.size());
    std::memcpy(buf, c.data(), n);
    if (n < c.size()) rest = std::string_view(c.data() + n, c.size() - n + rest.size());
    return n;
  }
  size_t step;
  std::string_view rest;
};

// The input interface a stage reads from (RdbInput, ByteSource), served by a Chunked.
template <class Input>
class ChunkedInput : public Input {
 public:
  explicit ChunkedInput(Chunked* c) : c_(c) {}
  size_t Read(char* buf, size_t cap) override { return c_->Read(buf, cap); }

 private:
  Chunked* c_;
};

}  // namespace ra::fuzz
