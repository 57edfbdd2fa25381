// MysqlDumpSplitter: cuts a mysqldump / mariadb-dump byte stream into the statements the
// `mysql` client would send, with the client's semantics.
//
// Contract:
// - Feed() takes bytes in chunks of any size (1 byte included); the statements it yields are the
//   same whatever the chunking. Finish() declares end of input: a last statement without a
//   delimiter is yielded (the client executes it too); end of input inside a string, identifier
//   or comment is an error.
// - A statement ends at the current delimiter (`;` at first, changed by `DELIMITER xx` lines)
//   outside quotes and comments. `'...'`, `"..."` honour backslash escapes and doubled quotes;
//   `` `...` `` honours doubled backticks. `-- `, `#` and `/* */` comments are kept inside a
//   statement but a statement made only of comments is dropped. `/*!NNNNN ... */` and
//   `/*M!NNNNNN ... */` are code, sent unchanged. The mariadb-dump sandbox line
//   (`/*M!999999\- enable the sandbox mode */`) and DELIMITER lines are client commands: consumed.
// - Bytes are never re-encoded. Each statement carries its 1-based line, 0-based byte offset in
//   the stream and 1-based number.
// - No I/O. Once Feed() or Finish() has returned an error, the splitter stays failed.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "protocols/splitter_core.h"
#include "protocols/statement.h"

namespace ra {

class MysqlDumpSplitter : public SplitterCore<MysqlDumpSplitter, SqlStatement> {
 public:
  // mysqldump never writes a statement longer than max_allowed_packet (at most 1 GiB).
  static constexpr size_t kDefaultMaxStatementBytes = size_t{1} << 30;

  explicit MysqlDumpSplitter(size_t max_statement_bytes = kDefaultMaxStatementBytes);

  SplitStatus Feed(std::string_view bytes);
  SplitStatus Finish();

  // Next(SqlStatement*), pending(), bytes_fed(), lines(), statements(): SplitterCore's.

  // Facts about the dump seen so far (comments that mysqldump writes).
  bool saw_dump_completed() const { return saw_dump_completed_; }
  const std::string& dump_header() const { return dump_header_; }  // "-- MariaDB dump 10.19 ..."
  const std::string& dump_completed_line() const { return dump_completed_line_; }
  bool saw_sandbox_command() const { return saw_sandbox_; }
  const std::string& delimiter() const { return delimiter_; }

 private:
  friend class SplitterCore<MysqlDumpSplitter, SqlStatement>;
  size_t FastRun(const char* p, size_t n);
  void FailTooLarge();

  enum class State {
    kNone,           // code, or whitespace between statements
    kDash1,          // saw "-" in code: maybe a "-- " comment
    kDash2,          // saw "--": a comment if whitespace or a control byte follows
    kSlash,          // saw "/": maybe a comment
    kSlashStar,      // saw "/*": plain comment, or "/*!" / "/*M!" conditional code
    kSlashStarM,     // saw "/*M"
    kSandboxCheck,   // at statement start after "/*M!": is it "999999\-" (sandbox command)?
    kSandboxLine,    // inside the sandbox command line: consumed up to the newline
    kDelimiterWord,  // at statement start, matching the word "delimiter"
    kDelimiterLine,  // reading the argument of a DELIMITER command
    kLineComment,
    kBlockComment,
    kBlockCommentStar,  // saw "*" inside a block comment
    kSingleQuote,
    kDoubleQuote,
    kBacktick,
    kFailed,
  };

  void Step(unsigned char c);
  void StepNone(unsigned char c);
  void StepDash(unsigned char c);
  void StepSlash(unsigned char c);
  void StepSandbox(unsigned char c);
  void StepDelimiter(unsigned char c);
  void EndDelimiterLine();
  void StepComment(unsigned char c);
  void StepQuote(unsigned char c);
  void StartCodeAt(size_t buf_pos, uint64_t offset, uint64_t line);
  void ResolvePendingAsCode(unsigned char c);
  void EndStatement(size_t text_len);
  void EndLineComment();
  void Fail(SplitError::Code code, std::string message);
  size_t ScanQuoted(const char* p, size_t n, char quote, bool backslash_escapes);

  State state_ = State::kNone;
  std::string delimiter_ = ";";
  size_t run_start_ = 0;      // start in buf_ of the current stretch of code bytes (kNone)
  size_t word_matched_ = 0;   // letters of "delimiter" or "999999\" matched so far
  size_t comment_start_ = 0;  // start in buf_ of the current line comment
  std::string delimiter_arg_;
  bool saw_dump_completed_ = false;
  bool saw_sandbox_ = false;
  std::string dump_header_;
  std::string dump_completed_line_;
};

}  // namespace ra
