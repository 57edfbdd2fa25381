// SplitterCore<Derived, Item>: what both dump splitters (MysqlDumpSplitter, PgDumpSplitter)
// share — the byte loop of Feed, position counting (byte offset, line), the queue of finished
// items, and the sticky error. The dialect is the Derived class's: it provides
//
//   size_t FastRun(const char* p, size_t n)  // bytes from p that cannot change the state,
//                                            // already appended where they belong (0: none)
//   void Step(unsigned char c)               // one byte through the state machine
//   void FailTooLarge()                      // the error for a statement over the limit
//
// No I/O. Once an error is set, Feed returns it without reading more.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "protocols/statement.h"

namespace ra {

template <class Derived, class Item>
class SplitterCore {
 public:
  // Moves the oldest finished item into *out; false when none is waiting.
  bool Next(Item* out) {
    if (ready_.empty()) return false;
    *out = std::move(ready_.front());
    ready_.pop_front();
    return true;
  }
  size_t pending() const { return ready_.size(); }
  uint64_t bytes_fed() const { return offset_; }
  uint64_t lines() const { return line_; }
  uint64_t statements() const { return number_; }

 protected:
  explicit SplitterCore(size_t max_statement_bytes) : max_statement_bytes_(max_statement_bytes) {}

  SplitStatus FeedBytes(std::string_view bytes) {
    Derived& self = static_cast<Derived&>(*this);
    const char* p = bytes.data();
    const size_t n = bytes.size();
    size_t i = 0;
    while (i < n && status_.ok()) {
      const size_t run = self.FastRun(p + i, n - i);
      if (run > 0) {
        offset_ += run;
        i += run;
      } else {
        const unsigned char c = static_cast<unsigned char>(p[i]);
        self.Step(c);
        if (!status_.ok()) break;
        ++offset_;
        if (c == '\n') ++line_;
        ++i;
      }
      if (buf_.size() > max_statement_bytes_) self.FailTooLarge();
    }
    return status_;
  }

  void SetError(SplitError::Code code, std::string message, uint64_t line, uint64_t offset) {
    status_.error.code = code;
    status_.error.message = std::move(message);
    status_.error.line = line;
    status_.error.offset = offset;
  }
  std::string TooLargeMessage() const {
    return "statement is larger than " + std::to_string(max_statement_bytes_) + " bytes";
  }

  // A construct that may or may not be code ("-", "/", "$", "delimiter") starts here.
  void MarkPending() {
    pending_pos_ = buf_.size();
    pending_offset_ = offset_;
    pending_line_ = line_;
  }
  // Code starts at buf_pos (stream position offset/line): what came before it was whitespace
  // and comments, which are not part of the statement.
  void StartCode(size_t buf_pos, uint64_t offset, uint64_t line) {
    if (has_code_) return;
    buf_.erase(0, buf_pos);
    pending_pos_ -= std::min(pending_pos_, buf_pos);
    stmt_offset_ = offset;
    stmt_line_ = line;
    has_code_ = true;
  }

  const size_t max_statement_bytes_;
  SplitStatus status_;
  std::deque<Item> ready_;
  uint64_t offset_ = 0;  // bytes processed
  uint64_t line_ = 1;    // line of the next byte
  uint64_t number_ = 0;  // statements yielded
  // The statement being read: its bytes (leading whitespace and comments until code starts),
  // whether code has started, and where.
  std::string buf_;
  bool has_code_ = false;
  bool escape_ = false;  // in a quote, the previous byte was a backslash
  uint64_t stmt_offset_ = 0, stmt_line_ = 0;
  size_t pending_pos_ = 0;  // in buf_, of a construct not decided yet
  uint64_t pending_offset_ = 0, pending_line_ = 0;
};

}  // namespace ra
