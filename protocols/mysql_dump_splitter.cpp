#include "protocols/mysql_dump_splitter.h"

#include <array>
#include <cstring>
#include <iterator>

#include "protocols/byte_scan.h"

namespace ra {
namespace {

constexpr std::string_view kDelimiterWord = "delimiter";
constexpr std::string_view kSandboxMarker = "999999\\";  // after "/*M!": mariadb-dump's sandbox

bool IsBlank(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string TrimRight(std::string_view s) {
  while (!s.empty() && IsBlank(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

MysqlDumpSplitter::MysqlDumpSplitter(size_t max_statement_bytes)
    : SplitterCore(max_statement_bytes) {}

void MysqlDumpSplitter::Fail(SplitError::Code code, std::string message) {
  SetError(code, std::move(message), has_code_ ? stmt_line_ : line_,
           has_code_ ? stmt_offset_ : offset_);
  state_ = State::kFailed;
}

void MysqlDumpSplitter::StartCodeAt(size_t buf_pos, uint64_t offset, uint64_t line) {
  if (has_code_) return;
  run_start_ -= std::min(run_start_, buf_pos);
  StartCode(buf_pos, offset, line);
}

// The construct that began at pending_pos_ ("-", "/", "d", "/*M!9...") turned out to be code;
// `c`, which decided it, is read again as code.
void MysqlDumpSplitter::ResolvePendingAsCode(unsigned char c) {
  StartCodeAt(pending_pos_, pending_offset_, pending_line_);
  state_ = State::kNone;
  StepNone(c);
}

void MysqlDumpSplitter::EndStatement(size_t text_len) {
  std::string_view text(buf_.data(), text_len);
  while (!text.empty() && IsBlank(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (has_code_ && !text.empty()) {
    SqlStatement st;
    st.text.assign(text.data(), text.size());
    st.number = ++number_;
    st.line = stmt_line_;
    st.offset = stmt_offset_;
    ready_.push_back(std::move(st));
  }
  buf_.clear();
  has_code_ = false;
  run_start_ = 0;
  state_ = State::kNone;
}

void MysqlDumpSplitter::EndLineComment() {
  if (!has_code_) {
    // Only top-level comment lines carry mysqldump's header and completion trailer.
    std::string_view comment(buf_.data() + comment_start_, buf_.size() - comment_start_);
    if (StartsWith(comment, "-- Dump completed")) {
      saw_dump_completed_ = true;
      dump_completed_line_ = TrimRight(comment);
    } else if (dump_header_.empty() &&
               (StartsWith(comment, "-- MySQL dump") || StartsWith(comment, "-- MariaDB dump"))) {
      dump_header_ = TrimRight(comment);
    }
    buf_.clear();
  }
  state_ = State::kNone;
  run_start_ = buf_.size();
}

void MysqlDumpSplitter::StepNone(unsigned char c) {
  const size_t dlen = delimiter_.size();
  if (c == static_cast<unsigned char>(delimiter_.back()) && buf_.size() >= run_start_ + dlen - 1 &&
      std::memcmp(buf_.data() + buf_.size() - (dlen - 1), delimiter_.data(), dlen - 1) == 0) {
    EndStatement(buf_.size() - (dlen - 1));
    return;
  }
  if (IsBlank(c)) {
    if (has_code_) buf_.push_back(static_cast<char>(c));
    return;
  }
  switch (c) {
    case '\'':
    case '"':
    case '`':
      StartCodeAt(buf_.size(), offset_, line_);
      state_ = c == '\'' ? State::kSingleQuote : c == '"' ? State::kDoubleQuote : State::kBacktick;
      escape_ = false;
      break;
    case '#':
      comment_start_ = buf_.size();
      state_ = State::kLineComment;
      break;
    case '-':
    case '/':
      MarkPending();
      state_ = c == '-' ? State::kDash1 : State::kSlash;
      break;
    case 'd':
    case 'D':
      if (!has_code_) {
        MarkPending();
        word_matched_ = 1;
        state_ = State::kDelimiterWord;
        break;
      }
      [[fallthrough]];
    default:
      StartCodeAt(buf_.size(), offset_, line_);
      break;
  }
  buf_.push_back(static_cast<char>(c));
}

// A handler per family of states (a switch: sanitizers misread tables of member pointers).
void MysqlDumpSplitter::Step(unsigned char c) {
  switch (state_) {
    case State::kNone:
      return StepNone(c);
    case State::kDash1:
    case State::kDash2:
      return StepDash(c);
    case State::kSlash:
    case State::kSlashStar:
    case State::kSlashStarM:
      return StepSlash(c);
    case State::kSandboxCheck:
    case State::kSandboxLine:
      return StepSandbox(c);
    case State::kDelimiterWord:
    case State::kDelimiterLine:
      return StepDelimiter(c);
    case State::kLineComment:
    case State::kBlockComment:
    case State::kBlockCommentStar:
      return StepComment(c);
    case State::kSingleQuote:
    case State::kDoubleQuote:
    case State::kBacktick:
      return StepQuote(c);
    case State::kFailed:
      return;
  }
}

// "-" then: "--" and a blank or control byte is a comment, as the client reads it.
void MysqlDumpSplitter::StepDash(unsigned char c) {
  if (state_ == State::kDash1) {
    if (c != '-') return ResolvePendingAsCode(c);
    state_ = State::kDash2;
    buf_.push_back('-');
    return;
  }
  if (c <= ' ') {
    comment_start_ = pending_pos_;
    state_ = State::kLineComment;
    buf_.push_back(static_cast<char>(c));
    if (c == '\n') EndLineComment();
  } else if (c == '-') {
    // "---": the first dash is code; the last two may still open a comment.
    StartCodeAt(pending_pos_, pending_offset_, pending_line_);
    ++pending_pos_;
    ++pending_offset_;
    buf_.push_back('-');
  } else {
    ResolvePendingAsCode(c);
  }
}

// "/" then: "/*" a comment, "/*!" and "/*M!" code for the server.
void MysqlDumpSplitter::StepSlash(unsigned char c) {
  if (state_ == State::kSlash) {
    if (c != '*') return ResolvePendingAsCode(c);
    state_ = State::kSlashStar;
    buf_.push_back('*');
    return;
  }
  if (c == '!' && state_ == State::kSlashStar) {  // "/*!NNNNN ...": code for the server
    StartCodeAt(pending_pos_, pending_offset_, pending_line_);
    state_ = State::kNone;
    buf_.push_back('!');
  } else if (c == 'M' && state_ == State::kSlashStar) {
    state_ = State::kSlashStarM;
    buf_.push_back('M');
  } else if (c == '!') {  // "/*M!"
    buf_.push_back('!');
    if (has_code_) {
      state_ = State::kNone;
    } else {
      word_matched_ = 0;
      state_ = State::kSandboxCheck;
    }
  } else {
    state_ = State::kBlockComment;
    Step(c);
  }
}

// At statement start after "/*M!": mariadb-dump's sandbox line is consumed, not sent.
void MysqlDumpSplitter::StepSandbox(unsigned char c) {
  if (state_ == State::kSandboxLine) {
    if (c == '\n') {
      buf_.clear();
      run_start_ = 0;
      state_ = State::kNone;
    }
    return;
  }
  if (c != static_cast<unsigned char>(kSandboxMarker[word_matched_]))
    return ResolvePendingAsCode(c);
  buf_.push_back(static_cast<char>(c));
  if (++word_matched_ == kSandboxMarker.size()) {
    saw_sandbox_ = true;
    state_ = State::kSandboxLine;
  }
}

// "delimiter X" at statement start: a client command changing the delimiter.
void MysqlDumpSplitter::StepDelimiter(unsigned char c) {
  if (state_ == State::kDelimiterLine) {
    if (c == '\n') {
      EndDelimiterLine();
    } else if (delimiter_arg_.size() < 256) {
      delimiter_arg_.push_back(static_cast<char>(c));
    } else {
      Fail(SplitError::Code::kBadCommand, "DELIMITER line is longer than 256 bytes");
    }
    return;
  }
  if (word_matched_ < kDelimiterWord.size() &&
      (c | 0x20) == static_cast<unsigned char>(kDelimiterWord[word_matched_])) {
    ++word_matched_;
    buf_.push_back(static_cast<char>(c));
  } else if (word_matched_ == kDelimiterWord.size() && (c == ' ' || c == '\t')) {
    buf_.erase(pending_pos_);
    delimiter_arg_.clear();
    state_ = State::kDelimiterLine;
  } else {
    ResolvePendingAsCode(c);
  }
}

void MysqlDumpSplitter::EndDelimiterLine() {
  // The client takes the first word of the rest of the line.
  std::string_view arg = delimiter_arg_;
  while (!arg.empty() && IsBlank(static_cast<unsigned char>(arg.front()))) arg.remove_prefix(1);
  size_t end = 0;
  while (end < arg.size() && !IsBlank(static_cast<unsigned char>(arg[end]))) ++end;
  arg = arg.substr(0, end);
  if (arg.empty()) return Fail(SplitError::Code::kBadCommand, "DELIMITER has no delimiter");
  if (arg.find('\\') != std::string_view::npos) {
    return Fail(SplitError::Code::kBadCommand,
                "DELIMITER contains a backslash: '" + std::string(arg) + "'");
  }
  delimiter_.assign(arg);
  buf_.clear();
  run_start_ = 0;
  state_ = State::kNone;
}

void MysqlDumpSplitter::StepComment(unsigned char c) {
  buf_.push_back(static_cast<char>(c));
  if (state_ == State::kLineComment) {
    if (c == '\n') EndLineComment();
  } else if (state_ == State::kBlockComment) {
    if (c == '*') state_ = State::kBlockCommentStar;
  } else if (c == '/') {
    if (!has_code_) buf_.clear();
    run_start_ = buf_.size();
    state_ = State::kNone;
  } else if (c != '*') {
    state_ = State::kBlockComment;
  }
}

void MysqlDumpSplitter::StepQuote(unsigned char c) {
  buf_.push_back(static_cast<char>(c));
  const char quote = state_ == State::kSingleQuote   ? '\''
                     : state_ == State::kDoubleQuote ? '"'
                                                     : '`';
  if (escape_) {
    escape_ = false;
  } else if (c == '\\' && quote != '`') {
    escape_ = true;
  } else if (c == static_cast<unsigned char>(quote)) {
    state_ = State::kNone;
    run_start_ = buf_.size();
  }
}

// Returns how many bytes from p can be appended without a state change: none of them is the
// quote, a backslash (where it escapes) or a newline (which Step counts).
size_t MysqlDumpSplitter::ScanQuoted(const char* p, size_t n, char quote, bool backslash_escapes) {
  if (backslash_escapes) {
    const char stops[] = {quote, '\\', '\n'};
    return ScanUntilAny(p, n, stops);
  }
  const char stops[] = {quote, '\n'};
  return ScanUntilAny(p, n, stops);
}

// Runs of bytes that cannot change the state, appended to the statement in bulk.
size_t MysqlDumpSplitter::FastRun(const char* p, size_t n) {
  size_t run = 0;
  switch (state_) {
    case State::kSingleQuote:
      if (!escape_) run = ScanQuoted(p, n, '\'', true);
      break;
    case State::kDoubleQuote:
      if (!escape_) run = ScanQuoted(p, n, '"', true);
      break;
    case State::kBacktick:
      run = ScanQuoted(p, n, '`', false);
      break;
    case State::kNone:
      if (has_code_) {
        const char stops[] = {'\'', '"', '`', '#', '-', '/', '\n', delimiter_.back()};
        run = ScanUntilAny(p, n, stops);
      }
      break;
    case State::kLineComment: {
      const char stops[] = {'\n'};
      run = ScanUntilAny(p, n, stops);
      break;
    }
    case State::kBlockComment:
      while (run < n && p[run] != '*' && p[run] != '\n') ++run;
      break;
    default:
      break;
  }
  buf_.append(p, run);
  return run;
}

void MysqlDumpSplitter::FailTooLarge() {
  Fail(SplitError::Code::kStatementTooLarge, TooLargeMessage());
}

SplitStatus MysqlDumpSplitter::Feed(std::string_view bytes) {
  if (state_ == State::kFailed) return status_;
  return FeedBytes(bytes);
}

SplitStatus MysqlDumpSplitter::Finish() {
  if (state_ == State::kFailed) return status_;
  auto unterminated = [&](const char* what) {
    Fail(SplitError::Code::kUnterminated, std::string("end of input inside ") + what);
  };
  switch (state_) {
    case State::kSingleQuote:
      unterminated("a '...' string");
      return status_;
    case State::kDoubleQuote:
      unterminated("a \"...\" string");
      return status_;
    case State::kBacktick:
      unterminated("a `...` identifier");
      return status_;
    case State::kBlockComment:
    case State::kBlockCommentStar:
    case State::kSlashStar:
    case State::kSlashStarM:
      unterminated("a /* */ comment");
      return status_;
    case State::kDash1:
    case State::kSlash:
    case State::kDelimiterWord:
    case State::kSandboxCheck:
      StartCodeAt(pending_pos_, pending_offset_, pending_line_);
      break;
    case State::kLineComment:
      EndLineComment();
      break;
    case State::kDelimiterLine:
      Step('\n');
      if (state_ == State::kFailed) return status_;
      break;
    default:
      break;
  }
  EndStatement(buf_.size());
  return status_;
}

}  // namespace ra
