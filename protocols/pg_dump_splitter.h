// PgDumpSplitter: cuts plain-format pg_dump / pg_dumpall output into what psql would do with it:
// SQL statements, COPY data, and psql meta-commands.
//
// Contract:
// - Feed() takes bytes in chunks of any size; the items are the same whatever the chunking
//   (COPY data may be cut into items at other places; its concatenation is the same).
// - A statement ends at `;` outside quotes, comments and parentheses (and outside a
//   BEGIN ... END body of CREATE FUNCTION/PROCEDURE, as psql's heuristic has it). Quotes:
//   '...' (backslash escapes only while standard_conforming_strings is off, which follows the
//   dump's own SET statements), E'...' (backslash escapes), "..." identifiers, dollar quotes
//   $$...$$ and $tag$...$tag$ (other tags inside are text). Comments: -- to end of line, nested
//   /* */. A statement made only of comments is dropped.
// - After `COPY ... FROM stdin;` the lines up to a line `\.` are COPY data, handed on byte-exact
//   in items of about kCopyChunkBytes, never parsed as SQL; then a kCopyEnd item.
// - A backslash at the start of a statement begins a psql meta-command, read to the end of the
//   line: \connect (\c), \encoding, \restrict, \unrestrict and \set become kMetaCommand items;
//   any other is an error naming it and its line.
// - End of input inside a string, comment, dollar quote or COPY data is an error (a cut dump).
// - No I/O. Once it has failed, the splitter stays failed.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/splitter_core.h"
#include "protocols/statement.h"

namespace ra {

struct PgDumpItem {
  enum class Type {
    kStatement,    // text: the SQL, without its ';'
    kCopyData,     // text: raw COPY data bytes (whole lines except maybe at the item's ends)
    kCopyEnd,      // the `\.` line: rows = rows of the whole COPY block
    kMetaCommand,  // command ("connect", "encoding", "restrict", "unrestrict", "set") and args
  };
  Type type = Type::kStatement;
  std::string text;
  std::string command;
  std::vector<std::string> args;
  uint64_t number = 0;  // statement number; for COPY items, the COPY statement's number
  uint64_t line = 0;    // 1-based line of the first byte
  uint64_t offset = 0;  // 0-based byte offset of the first byte in the stream
  uint64_t rows = 0;    // kCopyData: rows ended in this item; kCopyEnd: rows of the block
};

class PgDumpSplitter : public SplitterCore<PgDumpSplitter, PgDumpItem> {
 public:
  static constexpr size_t kDefaultMaxStatementBytes = size_t{1} << 30;
  static constexpr size_t kCopyChunkBytes = size_t{1} << 18;

  explicit PgDumpSplitter(size_t max_statement_bytes = kDefaultMaxStatementBytes);

  SplitStatus Feed(std::string_view bytes);
  SplitStatus Finish();
  // Next(PgDumpItem*), pending(), statements(), bytes_fed(), lines(): SplitterCore's.

  bool standard_conforming_strings() const { return std_strings_; }

 private:
  friend class SplitterCore<PgDumpSplitter, PgDumpItem>;
  size_t FastRun(const char* p, size_t n);
  void FailTooLarge();

  enum class State {
    kNone,
    kDash,   // saw "-"
    kSlash,  // saw "/"
    kLineComment,
    kBlockComment,  // depth in comment_depth_
    kBlockStar,     // saw "*" in a block comment
    kBlockSlash,    // saw "/" in a block comment
    kQuote,         // '...' without backslash escapes
    kEscapeQuote,   // E'...', or '...' while standard_conforming_strings is off
    kDoubleQuote,
    kDollarOpen,  // reading a dollar-quote tag
    kDollarBody,
    kMeta,              // a backslash command line
    kCopyStatementEnd,  // rest of the "COPY ... FROM stdin;" line: data starts on the next
    kCopyLineStart,
    kCopyData,
    kCopyBackslash,     // "\" at the start of a COPY line
    kCopyBackslashDot,  // "\." at the start of a COPY line
    kCopyBackslashDotCr,
    kFailed,
  };

  void Step(unsigned char c);
  void StepNone(unsigned char c);
  void StepDashSlash(unsigned char c);
  void StepComment(unsigned char c);
  void EndComment();
  void StepQuoted(unsigned char c);
  void StepDollar(unsigned char c);
  void StepMeta(unsigned char c);
  void StepCopy(unsigned char c);
  void ResolvePendingAsCode(unsigned char c);
  void EndWord();
  void EndStatement();
  void EndMeta();
  void EndCopy();
  void FlushCopy();
  void ResetStatement();
  void Fail(SplitError::Code code, std::string message, uint64_t line, uint64_t offset);

  State state_ = State::kNone;
  bool std_strings_ = true;
  int paren_depth_ = 0;
  int begin_depth_ = 0;
  int comment_depth_ = 0;
  // psql's heuristic for BEGIN ... END bodies: the first identifiers of the statement.
  bool in_word_ = false;
  std::string word_;
  int identifier_count_ = 0;
  char identifiers_[4] = {0, 0, 0, 0};
  std::string dollar_tag_;  // "$tag$" being read or closing the current body
  size_t dollar_body_start_ = 0;
  std::string meta_;
  uint64_t meta_line_ = 0, meta_offset_ = 0;
  // COPY data
  std::string copy_buf_;
  uint64_t copy_buf_offset_ = 0, copy_buf_line_ = 0;
  uint64_t copy_buf_rows_ = 0, copy_rows_ = 0;
  uint64_t copy_number_ = 0, copy_line_ = 0;
};

}  // namespace ra
