// RespRequestReader: the commands a Redis replica sends its master during the replication
// handshake (PING, AUTH, REPLCONF ..., PSYNC replid offset), as RESP arrays of bulk strings or
// inline lines, fed in any chunks. Bare newlines between commands (Redis 7's keepalives while
// it loads) are skipped. Once it has failed it stays failed; limits are explicit. Pure, no I/O
// (hiredis' reader parses replies, not a client's requests).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ra {

class RespRequestReader {
 public:
  static constexpr size_t kMaxArgs = 64;
  static constexpr size_t kMaxArgBytes = 64 * 1024;

  void Feed(std::string_view bytes) { buf_.append(bytes); }
  // The next whole command; false when more bytes are needed or on an error (see error()).
  bool Next(std::vector<std::string>* args);
  const std::string& error() const { return error_; }

 private:
  bool Fail(std::string why) {
    error_ = std::move(why);
    return false;
  }
  bool Inline(size_t eol, std::vector<std::string>* args);
  // A "<prefix><number>\r\n" line at pos_; false when not whole yet (or error_ set).
  bool Number(char prefix, size_t* at, long long* value);

  std::string buf_;
  std::string error_;
};

}  // namespace ra
