#include "protocols/pg_dump_splitter.h"

#include <cstring>
#include <iterator>

#include "protocols/pg_statement.h"

namespace ra {
namespace {

bool IsBlank(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
// psql's lexer: ident_start [A-Za-z\200-\377_], ident_cont adds [0-9$].
bool IsIdentStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
bool IsIdentCont(unsigned char c) { return IsIdentStart(c) || (c >= '0' && c <= '9') || c == '$'; }
char Lower(unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); }

// Splits a meta-command's argument text as psql does for plain arguments: whitespace separates,
// '...' and "..." group (doubled quotes inside stand for one).
std::vector<std::string> SplitMetaArgs(std::string_view s) {
  std::vector<std::string> args;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsBlank(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size()) break;
    std::string arg;
    while (i < s.size() && !IsBlank(static_cast<unsigned char>(s[i]))) {
      const char q = s[i];
      if (q == '\'' || q == '"') {
        ++i;
        while (i < s.size()) {
          if (s[i] == q && i + 1 < s.size() && s[i + 1] == q) {
            arg += q;
            i += 2;
          } else if (s[i] == q) {
            ++i;
            break;
          } else {
            arg += s[i++];
          }
        }
      } else {
        arg += s[i++];
      }
    }
    args.push_back(std::move(arg));
  }
  return args;
}

}  // namespace

PgDumpSplitter::PgDumpSplitter(size_t max_statement_bytes) : SplitterCore(max_statement_bytes) {}

void PgDumpSplitter::Fail(SplitError::Code code, std::string message, uint64_t line,
                          uint64_t offset) {
  SetError(code, std::move(message), line, offset);
  state_ = State::kFailed;
}

// The "-" or "/" at pending_pos_ turned out to be code; `c`, which decided it, is read again.
void PgDumpSplitter::ResolvePendingAsCode(unsigned char c) {
  StartCode(pending_pos_, pending_offset_, pending_line_);
  state_ = State::kNone;
  StepNone(c);
}

void PgDumpSplitter::ResetStatement() {
  buf_.clear();
  has_code_ = false;
  paren_depth_ = 0;
  begin_depth_ = 0;
  in_word_ = false;
  word_.clear();
  identifier_count_ = 0;
  std::memset(identifiers_, 0, sizeof identifiers_);
  state_ = State::kNone;
}

void PgDumpSplitter::EndWord() {
  // psql (psqlscan.l): inside CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN ... END (and CASE
  // ... END within) keep semicolons from ending the statement.
  in_word_ = false;
  const std::string& w = word_;
  if (identifier_count_ < 4) {
    const bool tracked =
        w == "create" || w == "function" || w == "procedure" || w == "or" || w == "replace";
    identifiers_[identifier_count_] = tracked ? w[0] : 0;
  }
  ++identifier_count_;
  const char* id = identifiers_;
  const bool routine =
      id[0] == 'c' && (id[1] == 'f' || id[1] == 'p' ||
                       (id[1] == 'o' && id[2] == 'r' && (id[3] == 'f' || id[3] == 'p')));
  if (routine && paren_depth_ == 0) {
    if (w == "begin") {
      ++begin_depth_;
    } else if (w == "case") {
      if (begin_depth_ > 0) ++begin_depth_;
    } else if (w == "end") {
      if (begin_depth_ > 0) --begin_depth_;
    }
  }
  word_.clear();
}

void PgDumpSplitter::EndStatement() {
  std::string_view text = buf_;
  while (!text.empty() && IsBlank(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (!has_code_ || text.empty()) {
    ResetStatement();
    return;
  }
  PgDumpItem item;
  item.type = PgDumpItem::Type::kStatement;
  item.text.assign(text);
  item.number = ++number_;
  item.line = stmt_line_;
  item.offset = stmt_offset_;
  const StatementInfo info = ClassifyPgStatement(item.text);
  bool copy = false;
  if (info.kind == StatementKind::kSet) {
    // psql learns this from the server; the dump says it in a SET statement.
    if (auto setting = PgStandardConformingStrings(item.text)) std_strings_ = *setting;
  } else if (info.kind == StatementKind::kCopyFromStdin) {
    copy = true;
  }
  ready_.push_back(std::move(item));
  ResetStatement();
  if (copy) {
    state_ = State::kCopyStatementEnd;
    copy_number_ = number_;
    copy_rows_ = 0;
    copy_buf_.clear();
    copy_buf_rows_ = 0;
    copy_line_ = line_ + 1;  // data starts on the next line
  }
}

void PgDumpSplitter::EndMeta() {
  std::string_view line = meta_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t end = 0;
  while (end < line.size() && !IsBlank(static_cast<unsigned char>(line[end]))) ++end;
  std::string command(line.substr(0, end));
  PgDumpItem item;
  item.type = PgDumpItem::Type::kMetaCommand;
  item.args = SplitMetaArgs(line.substr(end));
  item.line = meta_line_;
  item.offset = meta_offset_;
  item.number = number_;
  if (command == "c" || command == "connect") {
    item.command = "connect";
  } else if (command == "restrict" || command == "unrestrict" || command == "set" ||
             command == "encoding") {
    item.command = command;
  } else {
    Fail(SplitError::Code::kBadCommand,
         "unsupported psql meta-command '\\" + command + "' (only \\connect, \\encoding, " +
             "\\restrict, \\unrestrict and \\set appear in pg_dump output)",
         meta_line_, meta_offset_);
    return;
  }
  item.text.assign(line);
  ready_.push_back(std::move(item));
  meta_.clear();
  ResetStatement();
}

void PgDumpSplitter::FlushCopy() {
  if (copy_buf_.empty()) return;
  PgDumpItem item;
  item.type = PgDumpItem::Type::kCopyData;
  item.text = std::move(copy_buf_);
  item.number = copy_number_;
  item.line = copy_buf_line_;
  item.offset = copy_buf_offset_;
  item.rows = copy_buf_rows_;
  ready_.push_back(std::move(item));
  copy_buf_ = std::string();
  copy_buf_.reserve(kCopyChunkBytes + 4096);
  copy_buf_rows_ = 0;
}

void PgDumpSplitter::EndCopy() {
  FlushCopy();
  PgDumpItem item;
  item.type = PgDumpItem::Type::kCopyEnd;
  item.number = copy_number_;
  item.line = line_;
  item.offset = offset_;
  item.rows = copy_rows_;
  ready_.push_back(std::move(item));
  ResetStatement();
}

void PgDumpSplitter::StepCopy(unsigned char c) {
  // `bytes` held back before c (a "\\" or "\\." that was not the end marker after all) start
  // bytes.size() before c; c itself starts at offset_.
  auto data = [&](std::string_view bytes, uint64_t start) {
    if (copy_buf_.empty()) {
      copy_buf_offset_ = start;
      copy_buf_line_ = line_;
    }
    copy_buf_.append(bytes);
  };
  // The held-back bytes were data after all: keep them, then c as data.
  auto not_the_end = [&](std::string_view held) {
    data(held, offset_ - held.size());
    state_ = State::kCopyData;
    StepCopy(c);
  };
  switch (state_) {
    case State::kCopyStatementEnd:
      if (c == '\n') state_ = State::kCopyLineStart;
      return;
    case State::kCopyLineStart:
      if (c == '\\') {
        state_ = State::kCopyBackslash;
        return;
      }
      [[fallthrough]];
    case State::kCopyData:
      data(std::string_view(reinterpret_cast<const char*>(&c), 1), offset_);
      if (c == '\n') {
        ++copy_rows_;
        ++copy_buf_rows_;
        state_ = State::kCopyLineStart;
        if (copy_buf_.size() >= kCopyChunkBytes) FlushCopy();
      } else {
        state_ = State::kCopyData;
      }
      return;
    case State::kCopyBackslash:
      if (c == '.') {
        state_ = State::kCopyBackslashDot;
        return;
      }
      return not_the_end("\\");
    case State::kCopyBackslashDot:
      if (c == '\n') {
        EndCopy();
      } else if (c == '\r') {
        state_ = State::kCopyBackslashDotCr;
      } else {
        not_the_end("\\.");
      }
      return;
    case State::kCopyBackslashDotCr:
      if (c == '\n') {
        EndCopy();
      } else {
        not_the_end("\\.\r");
      }
      return;
    default:
      return;
  }
}

void PgDumpSplitter::StepNone(unsigned char c) {
  const bool e_prefix = in_word_ && word_ == "e" && c == '\'';
  if (in_word_ && !IsIdentCont(c)) {
    if (e_prefix) {
      in_word_ = false;
      word_.clear();
    } else {
      EndWord();
    }
  }
  if (IsBlank(c)) {
    if (has_code_) buf_.push_back(static_cast<char>(c));
    return;
  }
  switch (c) {
    case ';':
      if (paren_depth_ == 0 && begin_depth_ == 0) {
        EndStatement();
        return;
      }
      break;
    case '(':
      ++paren_depth_;
      break;
    case ')':
      if (paren_depth_ > 0) --paren_depth_;
      break;
    case '\'':
      StartCode(buf_.size(), offset_, line_);
      state_ = e_prefix || !std_strings_ ? State::kEscapeQuote : State::kQuote;
      escape_ = false;
      break;
    case '"':
      StartCode(buf_.size(), offset_, line_);
      state_ = State::kDoubleQuote;
      break;
    case '-':
    case '/':
      MarkPending();
      state_ = c == '-' ? State::kDash : State::kSlash;
      buf_.push_back(static_cast<char>(c));
      return;
    case '$':
      if (!in_word_) {
        StartCode(buf_.size(), offset_, line_);
        pending_pos_ = buf_.size();
        dollar_tag_.assign(1, '$');
        state_ = State::kDollarOpen;
        buf_.push_back('$');
        return;
      }
      break;
    case '\\':
      if (!has_code_) {
        meta_.clear();
        meta_line_ = line_;
        meta_offset_ = offset_;
        buf_.clear();
        state_ = State::kMeta;
        return;
      }
      Fail(SplitError::Code::kBadCommand,
           "backslash outside quotes inside a statement (psql meta-commands must start a line)",
           line_, offset_);
      return;
    default:
      if (!in_word_ && IsIdentStart(c)) {
        in_word_ = true;
        word_.clear();
      }
      if (in_word_ && word_.size() < 16) word_.push_back(Lower(c));
      break;
  }
  StartCode(buf_.size(), offset_, line_);
  buf_.push_back(static_cast<char>(c));
}

// A handler per family of states (a switch: sanitizers misread tables of member pointers).
void PgDumpSplitter::Step(unsigned char c) {
  switch (state_) {
    case State::kNone:
      return StepNone(c);
    case State::kDash:
    case State::kSlash:
      return StepDashSlash(c);
    case State::kLineComment:
    case State::kBlockComment:
    case State::kBlockStar:
    case State::kBlockSlash:
      return StepComment(c);
    case State::kQuote:
    case State::kEscapeQuote:
    case State::kDoubleQuote:
      return StepQuoted(c);
    case State::kDollarOpen:
    case State::kDollarBody:
      return StepDollar(c);
    case State::kMeta:
      return StepMeta(c);
    case State::kCopyStatementEnd:
    case State::kCopyLineStart:
    case State::kCopyData:
    case State::kCopyBackslash:
    case State::kCopyBackslashDot:
    case State::kCopyBackslashDotCr:
      return StepCopy(c);
    case State::kFailed:
      return;
  }
}

// "-" or "/" then: "--" a line comment, "/*" a block comment, anything else code.
void PgDumpSplitter::StepDashSlash(unsigned char c) {
  if (state_ == State::kDash && c == '-') {
    state_ = State::kLineComment;
    buf_.push_back('-');
  } else if (state_ == State::kSlash && c == '*') {
    comment_depth_ = 1;
    state_ = State::kBlockComment;
    buf_.push_back('*');
  } else {
    ResolvePendingAsCode(c);
  }
}

// Comments: -- to the end of the line; /* */ nested.
void PgDumpSplitter::StepComment(unsigned char c) {
  buf_.push_back(static_cast<char>(c));
  switch (state_) {
    case State::kLineComment:
      if (c == '\n') EndComment();
      break;
    case State::kBlockComment:
      if (c == '*') state_ = State::kBlockStar;
      if (c == '/') state_ = State::kBlockSlash;
      break;
    case State::kBlockStar:
      if (c == '/') {
        if (--comment_depth_ == 0) {
          EndComment();
        } else {
          state_ = State::kBlockComment;
        }
      } else if (c != '*') {
        state_ = State::kBlockComment;
      }
      break;
    default:  // kBlockSlash
      if (c == '*') {
        ++comment_depth_;
        state_ = State::kBlockComment;
      } else if (c != '/') {
        state_ = State::kBlockComment;
      }
      break;
  }
}

void PgDumpSplitter::EndComment() {
  if (!has_code_) buf_.clear();
  state_ = State::kNone;
}

// '...' (a doubled quote re-enters at once), E'...' with backslash escapes, "...".
void PgDumpSplitter::StepQuoted(unsigned char c) {
  buf_.push_back(static_cast<char>(c));
  if (state_ == State::kEscapeQuote) {
    if (escape_) {
      escape_ = false;
    } else if (c == '\\') {
      escape_ = true;
    } else if (c == '\'') {
      state_ = State::kNone;
    }
    return;
  }
  if (c == (state_ == State::kQuote ? '\'' : '"')) state_ = State::kNone;
}

// $tag$ ... $tag$; a "$" that does not open a tag ($1, a lone $) was code.
void PgDumpSplitter::StepDollar(unsigned char c) {
  if (state_ == State::kDollarBody) {
    buf_.push_back(static_cast<char>(c));
    if (c == '$' && buf_.size() >= dollar_body_start_ + dollar_tag_.size() &&
        std::memcmp(buf_.data() + buf_.size() - dollar_tag_.size(), dollar_tag_.data(),
                    dollar_tag_.size()) == 0) {
      state_ = State::kNone;
    }
    return;
  }
  if (c == '$') {
    dollar_tag_.push_back('$');
    buf_.push_back('$');
    dollar_body_start_ = buf_.size();
    state_ = State::kDollarBody;
  } else if (dollar_tag_.size() == 1 ? IsIdentStart(c) : IsIdentCont(c)) {
    dollar_tag_.push_back(static_cast<char>(c));
    buf_.push_back(static_cast<char>(c));
  } else {
    state_ = State::kNone;
    StepNone(c);
  }
}

void PgDumpSplitter::StepMeta(unsigned char c) {
  if (c == '\n') {
    EndMeta();
  } else if (meta_.size() < 65536) {
    meta_.push_back(static_cast<char>(c));
  } else {
    Fail(SplitError::Code::kBadCommand, "psql meta-command line longer than 64 KiB", meta_line_,
         meta_offset_);
  }
}

// COPY data lines and quoted text, appended in bulk.
size_t PgDumpSplitter::FastRun(const char* p, size_t n) {
  size_t run = 0;
  if (state_ == State::kCopyData) {
    const void* nl = std::memchr(p, '\n', n);
    run = nl == nullptr ? n : static_cast<size_t>(static_cast<const char*>(nl) - p);
    if (run > 0) {
      if (copy_buf_.empty()) {
        copy_buf_offset_ = offset_;
        copy_buf_line_ = line_;
      }
      copy_buf_.append(p, run);
    }
    // A very long line (a large bytea) is handed on in pieces too: memory stays bounded.
    if (copy_buf_.size() >= kCopyChunkBytes) FlushCopy();
  } else if (state_ == State::kQuote || state_ == State::kDoubleQuote ||
             state_ == State::kDollarBody || (state_ == State::kEscapeQuote && !escape_)) {
    const char stop = state_ == State::kDoubleQuote  ? '"'
                      : state_ == State::kDollarBody ? '$'
                                                     : '\'';
    const bool backslash = state_ == State::kEscapeQuote;
    while (run < n) {
      const char c = p[run];
      if (c == stop || c == '\n' || (backslash && c == '\\')) break;
      ++run;
    }
    buf_.append(p, run);
  }
  return run;
}

void PgDumpSplitter::FailTooLarge() {
  Fail(SplitError::Code::kStatementTooLarge, TooLargeMessage(), stmt_line_, stmt_offset_);
}

SplitStatus PgDumpSplitter::Feed(std::string_view bytes) {
  if (state_ == State::kFailed) return status_;
  return FeedBytes(bytes);
}

SplitStatus PgDumpSplitter::Finish() {
  if (state_ == State::kFailed) return status_;
  auto unterminated = [&](const std::string& what, uint64_t line, uint64_t offset) {
    Fail(SplitError::Code::kUnterminated, "end of input inside " + what, line, offset);
    return status_;
  };
  switch (state_) {
    case State::kQuote:
    case State::kEscapeQuote:
      return unterminated("a '...' string", stmt_line_, stmt_offset_);
    case State::kDoubleQuote:
      return unterminated("a \"...\" identifier", stmt_line_, stmt_offset_);
    case State::kDollarBody:
      return unterminated("a " + dollar_tag_ + " dollar-quoted string", stmt_line_, stmt_offset_);
    case State::kBlockComment:
    case State::kBlockStar:
    case State::kBlockSlash:
      return unterminated("a /* */ comment", has_code_ ? stmt_line_ : line_,
                          has_code_ ? stmt_offset_ : offset_);
    case State::kCopyStatementEnd:
    case State::kCopyLineStart:
    case State::kCopyData:
    case State::kCopyBackslash:
    case State::kCopyBackslashDot:
    case State::kCopyBackslashDotCr:
      if (state_ == State::kCopyBackslashDot) {  // "\." at the very end: psql accepts it
        EndCopy();
        return status_;
      }
      return unterminated(
          "the COPY data of statement " + std::to_string(copy_number_) + " (no \\. line)",
          copy_line_, offset_);
    case State::kMeta:
      EndMeta();
      return status_;
    case State::kDash:
    case State::kSlash:
    case State::kDollarOpen:
      StartCode(pending_pos_, pending_offset_, pending_line_);
      break;
    default:
      break;
  }
  if (in_word_) EndWord();
  // psql sends what is left in its buffer at the end of the file.
  EndStatement();
  if (state_ != State::kNone && state_ != State::kFailed) {
    return unterminated(
        "the COPY data of statement " + std::to_string(copy_number_) + " (no \\. line)", copy_line_,
        offset_);
  }
  return status_;
}

}  // namespace ra
