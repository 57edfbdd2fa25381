#include "protocols/resp_request.h"

#include <cstdlib>

namespace ra {

bool RespRequestReader::Number(char prefix, size_t* at, long long* value) {
  const size_t eol = buf_.find("\r\n", *at);
  if (eol == std::string::npos) {
    if (buf_.size() - *at > 32) return Fail("a length line longer than 32 bytes");
    return false;
  }
  if (buf_[*at] != prefix) return Fail(std::string("expected '") + prefix + "'");
  const std::string digits = buf_.substr(*at + 1, eol - *at - 1);
  char* end = nullptr;
  *value = std::strtoll(digits.c_str(), &end, 10);
  if (digits.empty() || *end != '\0' || *value < 0) return Fail("a bad length '" + digits + "'");
  *at = eol + 2;
  return true;
}

bool RespRequestReader::Inline(size_t eol, std::vector<std::string>* args) {
  std::string line = buf_.substr(0, eol);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  buf_.erase(0, eol + 1);
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) args->push_back(line.substr(start, i - start));
  }
  if (args->size() > kMaxArgs) return Fail("more than 64 arguments");
  return true;
}

bool RespRequestReader::Next(std::vector<std::string>* args) {
  args->clear();
  if (!error_.empty()) return false;
  while (!buf_.empty() && (buf_[0] == '\n' || buf_[0] == '\r')) buf_.erase(0, 1);
  if (buf_.empty()) return false;
  if (buf_[0] != '*') {
    const size_t eol = buf_.find('\n');
    if (eol == std::string::npos) {
      return buf_.size() > kMaxArgBytes ? Fail("an inline command without its end") : false;
    }
    if (!Inline(eol, args)) return false;
    return args->empty() ? Next(args) : true;  // a blank line: the next command
  }
  size_t at = 0;
  long long count = 0;
  if (!Number('*', &at, &count)) return false;
  if (count > static_cast<long long>(kMaxArgs)) return Fail("more than 64 arguments");
  std::vector<std::string> out;
  for (long long k = 0; k < count; ++k) {
    long long len = 0;
    if (at >= buf_.size() || !Number('$', &at, &len)) return false;
    if (len > static_cast<long long>(kMaxArgBytes)) return Fail("an argument over 64 KiB");
    if (buf_.size() < at + static_cast<size_t>(len) + 2) return false;
    if (buf_.compare(at + static_cast<size_t>(len), 2, "\r\n") != 0)
      return Fail("an argument not followed by CRLF");
    out.push_back(buf_.substr(at, static_cast<size_t>(len)));
    at += static_cast<size_t>(len) + 2;
  }
  buf_.erase(0, at);
  *args = std::move(out);
  return true;
}

}  // namespace ra
