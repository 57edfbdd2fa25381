#include "protocols/mysql_insert.h"

#include <cctype>

namespace ra {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads an INSERT from the front, writing fields to `out` as it goes; stops at the first thing
// it cannot convert with certainty.
class InsertParser {
 public:
  InsertParser(std::string_view s, std::string* out) : s_(s), out_(out) {}

  bool Head(InsertRows* r);
  bool Rows(InsertRows* r);
  const std::string& why() const { return why_; }

 private:
  bool Fail(const char* why) {
    why_ = why;
    return false;
  }
  void SkipSpace() {
    while (i_ < s_.size() && IsSpace(s_[i_])) ++i_;
  }
  std::string Word();  // upper-cased keyword or plain identifier, "" when none
  bool Name(std::string* as_written);
  bool Row(InsertRows* r);
  bool Value(bool* binary);
  bool QuotedString();
  bool HexLiteral(size_t start, size_t end);
  bool Number();
  void Put(char c);

  std::string_view s_;
  std::string* out_;
  size_t i_ = 0;
  std::string why_;
};

std::string InsertParser::Word() {
  SkipSpace();
  const size_t start = i_;
  while (i_ < s_.size() && IsWordChar(s_[i_])) ++i_;
  std::string w(s_.substr(start, i_ - start));
  for (char& c : w) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return w;
}

// `name`, `db`.`name`, or plain identifiers; the text as written.
bool InsertParser::Name(std::string* as_written) {
  SkipSpace();
  const size_t start = i_;
  for (;;) {
    if (i_ < s_.size() && s_[i_] == '`') {
      for (++i_; i_ < s_.size(); ++i_) {
        if (s_[i_] != '`') continue;
        if (i_ + 1 < s_.size() && s_[i_ + 1] == '`') {
          ++i_;
          continue;
        }
        break;
      }
      if (i_ >= s_.size()) return Fail("unterminated identifier");
      ++i_;
    } else {
      const size_t w = i_;
      while (i_ < s_.size() && IsWordChar(s_[i_])) ++i_;
      if (w == i_) return Fail("no table name");
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      continue;
    }
    break;
  }
  *as_written = std::string(s_.substr(start, i_ - start));
  return true;
}

bool InsertParser::Head(InsertRows* r) {
  const std::string verb = Word();
  if (verb != "INSERT" && verb != "REPLACE") return Fail("not an INSERT");
  if (verb == "REPLACE") r->modifier = "REPLACE";
  std::string w = Word();
  while (w == "LOW_PRIORITY" || w == "DELAYED" || w == "HIGH_PRIORITY" || w == "IGNORE") {
    if (w == "IGNORE" && r->modifier.empty()) r->modifier = "IGNORE";
    w = Word();
  }
  if (!w.empty() && w != "INTO") return Fail("a table name that is not quoted");
  if (!Name(&r->table)) return false;
  SkipSpace();
  if (i_ < s_.size() && s_[i_] == '(') {  // the column list: identifiers and commas only
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ')') {
      if (s_[i_] == '`') {
        std::string ignored;
        if (!Name(&ignored)) return false;
        continue;
      }
      ++i_;
    }
    if (i_ >= s_.size()) return Fail("unterminated column list");
    r->columns = std::string(s_.substr(start, ++i_ - start));
  }
  const std::string values = Word();
  if (values != "VALUES" && values != "VALUE") return Fail("not a VALUES list");
  return true;
}

void InsertParser::Put(char c) {
  switch (c) {
    case '\\':
      out_->append("\\\\");
      break;
    case '\t':
      out_->append("\\t");
      break;
    case '\n':
      out_->append("\\n");
      break;
    case '\0':
      out_->append("\\0");
      break;
    default:
      out_->push_back(c);
  }
}

// '...' or "...": the server's escapes (\0 \b \n \r \t \Z, \% and \_ kept, any other \x is x)
// and doubled quotes.
bool InsertParser::QuotedString() {
  const char q = s_[i_++];
  while (i_ < s_.size()) {
    const char c = s_[i_++];
    if (c == q) {
      if (i_ < s_.size() && s_[i_] == q) {
        Put(q);
        ++i_;
        continue;
      }
      return true;
    }
    if (c != '\\') {
      Put(c);
      continue;
    }
    if (i_ >= s_.size()) break;
    const char e = s_[i_++];
    static const std::string_view kFrom = "0bnrtZ", kTo("\0\b\n\r\t\x1a", 6);
    const size_t k = kFrom.find(e);
    if (k != std::string_view::npos) {
      Put(kTo[k]);
    } else {
      if (e == '%' || e == '_') Put('\\');
      Put(e);
    }
  }
  return Fail("unterminated string");
}

bool InsertParser::HexLiteral(size_t start, size_t end) {
  if ((end - start) % 2 != 0) return Fail("odd hex literal");
  for (size_t k = start; k < end; k += 2) {
    const int hi = HexValue(s_[k]), lo = HexValue(s_[k + 1]);
    if (hi < 0 || lo < 0) return Fail("bad hex literal");
    Put(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

bool InsertParser::Number() {
  const size_t start = i_;
  if (s_[i_] == '-' || s_[i_] == '+') ++i_;
  size_t digits = 0;
  while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.')) {
    ++i_;
    ++digits;
  }
  if (digits == 0) return Fail("an expression");
  if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
    ++i_;
    if (i_ < s_.size() && (s_[i_] == '-' || s_[i_] == '+')) ++i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  out_->append(s_.substr(start, i_ - start));
  return true;
}

bool InsertParser::Value(bool* binary) {
  *binary = false;
  SkipSpace();
  if (i_ >= s_.size()) return Fail("cut row");
  const char c = s_[i_];
  if (c == '\'' || c == '"') return QuotedString();
  if (c == '0' && i_ + 1 < s_.size() && (s_[i_ + 1] == 'x' || s_[i_ + 1] == 'X')) {
    const size_t start = i_ + 2;
    i_ = start;
    while (i_ < s_.size() && HexValue(s_[i_]) >= 0) ++i_;
    *binary = true;
    return HexLiteral(start, i_);
  }
  if ((c == 'x' || c == 'X') && i_ + 1 < s_.size() && s_[i_ + 1] == '\'') {
    const size_t start = i_ + 2, end = s_.find('\'', start);
    if (end == std::string_view::npos) return Fail("unterminated hex literal");
    i_ = end + 1;
    *binary = true;
    return HexLiteral(start, end);
  }
  if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
    const std::string w = Word();
    if (w == "NULL") {
      out_->append("\\N");
      return true;
    }
    SkipSpace();
    if (w == "_BINARY" && i_ < s_.size() && (s_[i_] == '\'' || s_[i_] == '"')) {
      *binary = true;
      return QuotedString();
    }
    return Fail("a function, an introducer or a keyword");
  }
  return Number();
}

bool InsertParser::Row(InsertRows* r) {
  size_t field = 0;
  for (;; ++field) {
    if (field > 0) out_->push_back('\t');
    bool binary = false;
    if (!Value(&binary)) return false;
    if (field >= r->binary_values.size()) {
      if (r->rows > 0) return Fail("rows with different numbers of values");
      r->binary_values.push_back(false);
    }
    if (binary) r->binary_values[field] = true;
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == ',') {
      ++i_;
      continue;
    }
    if (i_ < s_.size() && s_[i_] == ')') break;
    return Fail("something after a value");
  }
  if (r->rows > 0 && field + 1 != r->fields) return Fail("rows with different numbers of values");
  r->fields = field + 1;
  ++i_;
  out_->push_back('\n');
  ++r->rows;
  return true;
}

bool InsertParser::Rows(InsertRows* r) {
  for (;;) {
    SkipSpace();
    if (i_ >= s_.size() || s_[i_] != '(') return Fail("not a row");
    ++i_;
    if (!Row(r)) return false;
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == ',') {
      ++i_;
      continue;
    }
    if (i_ < s_.size() && s_[i_] == ';') ++i_;
    SkipSpace();
    return i_ == s_.size() ? true : Fail("something after the rows");
  }
}

}  // namespace

bool MysqlInsertToRows(std::string_view insert, InsertRows* out, std::string* data,
                       std::string* why) {
  const size_t before = data->size();
  *out = InsertRows();
  InsertParser parser(insert, data);
  if (parser.Head(out) && parser.Rows(out)) return true;
  data->resize(before);
  if (why != nullptr) *why = parser.why();
  return false;
}

}  // namespace ra
