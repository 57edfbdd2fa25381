#include "protocols/mysql_statement.h"

#include <array>
#include <cctype>
#include <vector>

#include "protocols/byte_scan.h"

namespace ra {
namespace {

struct Token {
  enum class Type { kWord, kQuotedIdent, kString, kPunct, kEnd };
  Type type = Type::kEnd;
  std::string text;  // words upper-cased; identifiers unquoted
};

// Reads the first tokens of a statement, entering conditional comments.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view s) : s_(s) {}

  Token Next() {
    SkipSpaceAndComments();
    Token t;
    if (i_ >= s_.size()) return t;
    const char c = s_[i_];
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
        static_cast<unsigned char>(c) >= 0x80) {
      t.type = Token::Type::kWord;
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' ||
                                s_[i_] == '$' || static_cast<unsigned char>(s_[i_]) >= 0x80)) {
        t.text.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(s_[i_]))));
        ++i_;
      }
    } else if (c == '`' || c == '"' || c == '\'') {
      t.type = c == '`' ? Token::Type::kQuotedIdent : Token::Type::kString;
      ++i_;
      while (i_ < s_.size()) {
        if (s_[i_] == '\\' && c != '`' && i_ + 1 < s_.size()) {
          t.text.push_back(s_[i_ + 1]);
          i_ += 2;
        } else if (s_[i_] == c) {
          if (i_ + 1 < s_.size() && s_[i_ + 1] == c) {
            t.text.push_back(c);
            i_ += 2;
          } else {
            ++i_;
            break;
          }
        } else {
          t.text.push_back(s_[i_++]);
        }
      }
      if (c == '"') t.type = Token::Type::kQuotedIdent;  // ANSI_QUOTES-style identifier; harmless
    } else {
      t.type = Token::Type::kPunct;
      t.text.assign(1, c);
      ++i_;
    }
    return t;
  }

 private:
  void SkipSpaceAndComments() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i_;
      } else if (c == '#' ||
                 (c == '-' && s_.substr(i_, 2) == "--" &&
                  (i_ + 2 >= s_.size() || static_cast<unsigned char>(s_[i_ + 2]) <= ' '))) {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (s_.substr(i_, 3) == "/*!" || s_.substr(i_, 4) == "/*M!") {
        i_ += s_[i_ + 2] == '!' ? 3 : 4;
        while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      } else if (s_.substr(i_, 2) == "/*") {
        const size_t end = s_.find("*/", i_ + 2);
        i_ = end == std::string_view::npos ? s_.size() : end + 2;
      } else if (s_.substr(i_, 2) == "*/") {
        i_ += 2;  // end of a conditional comment
      } else {
        return;
      }
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

bool IsName(const Token& t) {
  return t.type == Token::Type::kWord || t.type == Token::Type::kQuotedIdent;
}

// Reads `name` or `schema`.`name` starting with tokens[i].
void ReadQualifiedName(const std::vector<Token>& tokens, size_t i, StatementInfo* info) {
  if (i >= tokens.size() || !IsName(tokens[i])) return;
  if (i + 2 < tokens.size() && tokens[i + 1].type == Token::Type::kPunct &&
      tokens[i + 1].text == "." && IsName(tokens[i + 2])) {
    info->schema = tokens[i].text;
    info->object = tokens[i + 2].text;
  } else {
    info->object = tokens[i].text;
  }
}

bool IsWord(const Token& t, std::string_view w) {
  return t.type == Token::Type::kWord && t.text == w;
}

// Skips IF [NOT] EXISTS at tokens[i]; returns the index after it.
size_t SkipIfExists(const std::vector<Token>& tokens, size_t i) {
  if (i < tokens.size() && IsWord(tokens[i], "IF")) {
    ++i;
    if (i < tokens.size() && IsWord(tokens[i], "NOT")) ++i;
    if (i < tokens.size() && IsWord(tokens[i], "EXISTS")) ++i;
  }
  return i;
}

// SET GLOBAL x / SET @@GLOBAL.x / SET PERSIST x: server-wide, not the session's.
bool IsGlobalSet(const std::vector<Token>& t) {
  if (t.size() > 1 &&
      (IsWord(t[1], "GLOBAL") || IsWord(t[1], "PERSIST") || IsWord(t[1], "PERSIST_ONLY")))
    return true;
  // "@@GLOBAL.x" tokenizes as '@' '@' GLOBAL '.' x.
  return t.size() > 3 && t[1].text == "@" && t[2].text == "@" &&
         (IsWord(t[3], "GLOBAL") || IsWord(t[3], "PERSIST") || IsWord(t[3], "PERSIST_ONLY"));
}

StatementInfo ClassifyInsert(const std::vector<Token>& t) {
  StatementInfo info;
  info.kind = StatementKind::kInsert;
  info.plain_insert = t[0].text == "INSERT";
  size_t i = 1;
  while (i < t.size() &&
         (IsWord(t[i], "IGNORE") || IsWord(t[i], "INTO") || IsWord(t[i], "LOW_PRIORITY") ||
          IsWord(t[i], "DELAYED") || IsWord(t[i], "HIGH_PRIORITY"))) {
    if (IsWord(t[i], "IGNORE")) info.plain_insert = false;
    ++i;
  }
  ReadQualifiedName(t, i, &info);
  return info;
}

// What CREATE/DROP/ALTER <word> makes of the statement.
StatementKind DdlKind(const std::string& verb, const std::string& w) {
  const bool create = verb == "CREATE", drop = verb == "DROP";
  if (w == "TABLE")
    return create ? StatementKind::kCreateTable
           : drop ? StatementKind::kDropTable
                  : StatementKind::kAlterTable;
  if (w == "DATABASE" || w == "SCHEMA")
    return create ? StatementKind::kCreateDatabase : StatementKind::kOtherDdl;
  if (w == "VIEW") return drop ? StatementKind::kOtherDdl : StatementKind::kCreateView;
  if (w == "PROCEDURE" || w == "FUNCTION")
    return create ? StatementKind::kCreateRoutine : StatementKind::kOtherDdl;
  if (w == "TRIGGER") return create ? StatementKind::kCreateTrigger : StatementKind::kOtherDdl;
  if (w == "EVENT") return create ? StatementKind::kCreateEvent : StatementKind::kOtherDdl;
  if (w == "INDEX") return create ? StatementKind::kCreateIndex : StatementKind::kOtherDdl;
  if (w == "SEQUENCE" || w == "USER" || w == "ROLE" || w == "SERVER")
    return StatementKind::kOtherDdl;
  return StatementKind::kOther;  // not the object keyword: keep looking
}

// CREATE / DROP / ALTER: the object keyword may follow DEFINER=..., ALGORITHM=..., etc.
StatementInfo ClassifyDdl(const std::vector<Token>& t) {
  StatementInfo info;
  info.kind = StatementKind::kOtherDdl;
  for (size_t i = 1; i < t.size(); ++i) {
    if (t[i].type != Token::Type::kWord) continue;
    const StatementKind kind = DdlKind(t[0].text, t[i].text);
    if (kind == StatementKind::kOther) continue;
    info.kind = kind;
    const size_t at = SkipIfExists(t, i + 1);
    if (t[i].text == "DATABASE" || t[i].text == "SCHEMA") {
      if (at < t.size() && IsName(t[at])) info.schema = t[at].text;
    } else if (kind == StatementKind::kCreateIndex) {
      size_t on = at;  // CREATE INDEX name ON table
      while (on < t.size() && !IsWord(t[on], "ON")) ++on;
      ReadQualifiedName(t, on + 1, &info);
    } else {
      ReadQualifiedName(t, at, &info);
      const size_t next = at + (info.schema.empty() ? 1 : 3);
      if (kind == StatementKind::kAlterTable && next + 1 < t.size() &&
          (IsWord(t[next], "DISABLE") || IsWord(t[next], "ENABLE")) && IsWord(t[next + 1], "KEYS"))
        info.kind = StatementKind::kKeysToggle;
    }
    return info;
  }
  return info;
}

}  // namespace

StatementInfo ClassifyMysqlStatement(std::string_view text) {
  // Routines, triggers and views put DEFINER=`u`@`h`, ALGORITHM=..., SQL SECURITY ... between
  // CREATE and the object keyword: read enough tokens to pass them.
  constexpr size_t kMaxTokens = 24;
  std::vector<Token> t;
  Tokenizer tz(text);
  for (size_t n = 0; n < kMaxTokens; ++n) {
    Token token = tz.Next();
    if (token.type == Token::Type::kEnd) break;
    t.push_back(std::move(token));
  }
  StatementInfo info;
  if (t.empty() || t[0].type != Token::Type::kWord) return info;
  const std::string& verb = t[0].text;
  if (verb == "SET") {
    info.kind = StatementKind::kSet;
    info.global = IsGlobalSet(t);
  } else if (verb == "USE") {
    info.kind = StatementKind::kUse;
    if (t.size() > 1 && IsName(t[1])) info.schema = t[1].text;
  } else if (verb == "INSERT" || verb == "REPLACE") {
    return ClassifyInsert(t);
  } else if (verb == "LOCK" && t.size() > 1 && (IsWord(t[1], "TABLES") || IsWord(t[1], "TABLE"))) {
    info.kind = StatementKind::kLockTables;
    ReadQualifiedName(t, 2, &info);
  } else if (verb == "UNLOCK") {
    info.kind = StatementKind::kUnlockTables;
  } else if (verb == "BEGIN" || verb == "COMMIT" || verb == "ROLLBACK" || verb == "SAVEPOINT" ||
             (verb == "START" && t.size() > 1 && IsWord(t[1], "TRANSACTION"))) {
    info.kind = StatementKind::kTransaction;
  } else if (verb == "CREATE" || verb == "DROP" || verb == "ALTER") {
    return ClassifyDdl(t);
  } else if (verb == "RENAME" || verb == "TRUNCATE") {
    info.kind = StatementKind::kOtherDdl;
  }
  return info;
}

uint64_t CountInsertRows(std::string_view s) {
  // Find VALUES (or VALUE) outside quotes and comments, then count the top-level tuples that
  // follow, stopping at the first top-level word (ON DUPLICATE KEY UPDATE ... VALUES(x)).
  size_t i = 0;
  const size_t n = s.size();
  bool after_values = false;
  int depth = 0;
  uint64_t rows = 0;
  while (i < n) {
    const char c = s[i];
    if (c == '\'' || c == '"' || c == '`') {
      const char q = c;
      ++i;
      while (i < n) {
        const char stops[] = {q, '\\'};
        i += ScanUntilAny(s.data() + i, n - i, stops);
        if (i >= n) break;
        if (s[i] == '\\' && q != '`') {
          i += 2;
        } else if (s[i] == q) {
          ++i;
          if (i < n && s[i] == q) {
            ++i;
          } else {
            break;
          }
        } else {
          ++i;
        }
      }
      continue;
    }
    if (depth == 0) {
      if (c == '(') {
        if (after_values) ++rows;
        ++depth;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        const size_t start = i;
        while (i < n && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) ++i;
        const std::string_view word = s.substr(start, i - start);
        if (after_values) return rows;  // tuples are over
        if (word.size() >= 5 && word.size() <= 6) {
          std::string upper(word);
          for (char& ch : upper)
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
          if (upper == "VALUES" || upper == "VALUE") after_values = true;
        }
        continue;
      } else if (c == '/' && i + 1 < n && s[i + 1] == '*' && !(i + 2 < n && s[i + 2] == '!')) {
        const size_t end = s.find("*/", i + 2);
        i = end == std::string_view::npos ? n : end + 2;
        continue;
      }
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    }
    ++i;
  }
  return rows;
}

}  // namespace ra
