#include "protocols/pg_statement.h"

#include <string>
#include <vector>

namespace ra {
namespace {

struct PgToken {
  enum class Type { kWord, kQuotedIdent, kString, kPunct };
  Type type;
  std::string text;  // words lower-cased; identifiers and strings unquoted
};

bool IsIdentStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
bool IsIdentCont(unsigned char c) { return IsIdentStart(c) || (c >= '0' && c <= '9') || c == '$'; }

std::vector<PgToken> Tokenize(std::string_view s, size_t max_tokens) {
  std::vector<PgToken> out;
  size_t i = 0;
  while (i < s.size() && out.size() < max_tokens) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      int depth = 0;
      while (i < s.size()) {
        if (s.compare(i, 2, "/*") == 0) {
          ++depth;
          i += 2;
        } else if (s.compare(i, 2, "*/") == 0) {
          i += 2;
          if (--depth == 0) break;
        } else {
          ++i;
        }
      }
    } else if (IsIdentStart(c) || (c >= '0' && c <= '9')) {
      PgToken t{PgToken::Type::kWord, {}};
      while (i < s.size() && IsIdentCont(static_cast<unsigned char>(s[i]))) {
        char ch = s[i++];
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
        t.text.push_back(ch);
      }
      out.push_back(std::move(t));
    } else if (c == '"' || c == '\'') {
      PgToken t{c == '"' ? PgToken::Type::kQuotedIdent : PgToken::Type::kString, {}};
      ++i;
      while (i < s.size()) {
        if (s[i] == static_cast<char>(c)) {
          if (i + 1 < s.size() && s[i + 1] == static_cast<char>(c)) {
            t.text.push_back(static_cast<char>(c));
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        t.text.push_back(s[i++]);
      }
      out.push_back(std::move(t));
    } else {
      out.push_back({PgToken::Type::kPunct, std::string(1, static_cast<char>(c))});
      ++i;
    }
  }
  return out;
}

bool IsWord(const std::vector<PgToken>& t, size_t i, std::string_view w) {
  return i < t.size() && t[i].type == PgToken::Type::kWord && t[i].text == w;
}
bool IsName(const std::vector<PgToken>& t, size_t i) {
  return i < t.size() &&
         (t[i].type == PgToken::Type::kWord || t[i].type == PgToken::Type::kQuotedIdent);
}

size_t SkipIfExists(const std::vector<PgToken>& t, size_t i) {
  if (IsWord(t, i, "if")) {
    ++i;
    if (IsWord(t, i, "not")) ++i;
    if (IsWord(t, i, "exists")) ++i;
  }
  return i;
}

// name or schema.name at t[i]; returns the index after it.
size_t ReadName(const std::vector<PgToken>& t, size_t i, StatementInfo* info) {
  if (!IsName(t, i)) return i;
  if (i + 2 < t.size() && t[i + 1].type == PgToken::Type::kPunct && t[i + 1].text == "." &&
      IsName(t, i + 2)) {
    info->schema = t[i].text;
    info->object = t[i + 2].text;
    return i + 3;
  }
  info->object = t[i].text;
  return i + 1;
}

// CREATE [UNIQUE] INDEX [CONCURRENTLY] [[IF NOT EXISTS] name] ON [ONLY] table: the table.
void ReadIndexTable(const std::vector<PgToken>& t, size_t i, StatementInfo* info) {
  while (i < t.size() && !IsWord(t, i, "on")) ++i;
  if (IsWord(t, i + 1, "only")) ++i;
  ReadName(t, i + 1, info);
}

// ALTER TABLE [IF EXISTS] [ONLY] name ...: ADD CONSTRAINT makes it kAddConstraint.
void ClassifyAlterTable(const std::vector<PgToken>& t, size_t at, StatementInfo* info) {
  info->kind = StatementKind::kAlterTable;
  const size_t after = ReadName(t, at, info);
  if (!IsWord(t, after, "add") || !IsWord(t, after + 1, "constraint")) return;
  info->kind = StatementKind::kAddConstraint;
  for (size_t i = after + 2; i < t.size(); ++i)
    if (IsWord(t, i, "foreign")) info->foreign_key = true;
}

StatementInfo ClassifyDdl(const std::vector<PgToken>& t) {
  StatementInfo info;
  info.kind = StatementKind::kOtherDdl;
  const std::string& verb = t[0].text;
  const bool create = verb == "create", drop = verb == "drop";
  size_t i = 1;
  while (IsWord(t, i, "or") || IsWord(t, i, "replace") || IsWord(t, i, "unlogged") ||
         IsWord(t, i, "temporary") || IsWord(t, i, "temp") || IsWord(t, i, "materialized") ||
         IsWord(t, i, "global") || IsWord(t, i, "local") || IsWord(t, i, "unique") ||
         IsWord(t, i, "recursive") || IsWord(t, i, "constraint")) {
    ++i;
  }
  if (i >= t.size() || t[i].type != PgToken::Type::kWord) return info;
  const std::string& what = t[i].text;
  size_t at = SkipIfExists(t, i + 1);
  if (what == "table") {
    if (IsWord(t, at, "only")) at = SkipIfExists(t, at + 1);
    if (create || drop) {
      info.kind = create ? StatementKind::kCreateTable : StatementKind::kDropTable;
      ReadName(t, at, &info);
    } else {
      ClassifyAlterTable(t, at, &info);
    }
  } else if (what == "database") {
    info.kind = create ? StatementKind::kCreateDatabase
                : drop ? StatementKind::kDropDatabase
                       : StatementKind::kOtherDdl;
    if (IsName(t, at)) info.schema = t[at].text;
  } else if (what == "role" || what == "user") {
    info.kind = create ? StatementKind::kCreateRole
                : drop ? StatementKind::kDropRole
                       : StatementKind::kOtherDdl;
    if (IsName(t, at)) info.object = t[at].text;
  } else if (what == "index" && create) {
    info.kind = StatementKind::kCreateIndex;
    ReadIndexTable(t, at, &info);
  } else {
    if (what == "view" && !drop) info.kind = StatementKind::kCreateView;
    if ((what == "function" || what == "procedure") && create)
      info.kind = StatementKind::kCreateRoutine;
    if (what == "trigger" && create) info.kind = StatementKind::kCreateTrigger;
    ReadName(t, at, &info);
  }
  return info;
}

// COPY name [(cols)] FROM stdin: the column list may be long, so its end is read from the text.
StatementInfo ClassifyCopy(const std::vector<PgToken>& t, std::string_view text) {
  StatementInfo info;
  const size_t after = ReadName(t, 1, &info);
  std::string tail;
  for (size_t i = text.size(); i > 0 && tail.size() < 64; --i) {
    const char ch = text[i - 1];
    tail.insert(tail.begin(), (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch);
  }
  const bool from_stdin = tail.find("from stdin") != std::string::npos;
  info.kind = after > 1 && from_stdin ? StatementKind::kCopyFromStdin : StatementKind::kOther;
  return info;
}

}  // namespace

StatementInfo ClassifyPgStatement(std::string_view text) {
  const std::vector<PgToken> t = Tokenize(text, 24);
  StatementInfo info;
  if (t.empty() || t[0].type != PgToken::Type::kWord) return info;
  const std::string& verb = t[0].text;
  const bool catalog_call = verb == "select" && IsWord(t, 1, "pg_catalog") && t.size() > 3;
  if (verb == "set" || (catalog_call && t[3].text == "set_config")) {
    info.kind = StatementKind::kSet;
  } else if (catalog_call && t[3].text == "setval") {
    info.kind = StatementKind::kSetval;
  } else if (verb == "copy") {
    return ClassifyCopy(t, text);
  } else if (verb == "insert" && IsWord(t, 1, "into")) {
    info.kind = StatementKind::kInsert;
    ReadName(t, 2, &info);
  } else if (verb == "begin" || verb == "commit" || verb == "rollback" || verb == "start" ||
             verb == "end" || verb == "savepoint") {
    info.kind = StatementKind::kTransaction;
  } else if (verb == "create" || verb == "drop" || verb == "alter") {
    return ClassifyDdl(t);
  }
  return info;
}

std::string PgCopyRelation(std::string_view sql) {
  size_t i = sql.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos) return "";
  i += 4;  // "COPY"
  while (i < sql.size() && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r'))
    ++i;
  const size_t start = i;
  bool quoted = false;
  for (; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '"') quoted = !quoted;
    if (!quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ';')) break;
  }
  return std::string(sql.substr(start, i - start));
}

std::string PgConninfoDbname(std::string_view arg) {
  if (arg.find('=') == std::string_view::npos) return std::string(arg);
  size_t i = 0;
  while (i < arg.size()) {
    while (i < arg.size() && (arg[i] == ' ' || arg[i] == '\t')) ++i;
    const size_t eq = arg.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key(arg.substr(i, eq - i));
    while (!key.empty() && key.back() == ' ') key.pop_back();
    i = eq + 1;
    while (i < arg.size() && arg[i] == ' ') ++i;
    std::string value;
    if (i < arg.size() && arg[i] == '\'') {  // quoted; a backslash escapes the next byte
      for (++i; i < arg.size() && arg[i] != '\''; ++i) {
        if (arg[i] == '\\' && i + 1 < arg.size()) ++i;
        value += arg[i];
      }
      ++i;
    } else {
      for (; i < arg.size() && arg[i] != ' '; ++i) {
        if (arg[i] == '\\' && i + 1 < arg.size()) ++i;
        value += arg[i];
      }
    }
    if (key == "dbname") return value;
  }
  return "";
}

std::optional<bool> PgStandardConformingStrings(std::string_view text) {
  const std::vector<PgToken> t = Tokenize(text, 8);
  size_t i = 0;
  if (!IsWord(t, i++, "set")) return std::nullopt;
  if (IsWord(t, i, "session") || IsWord(t, i, "local")) ++i;
  if (!IsWord(t, i++, "standard_conforming_strings")) return std::nullopt;
  if (IsWord(t, i, "to") || (i < t.size() && t[i].text == "=")) ++i;
  if (i >= t.size()) return std::nullopt;
  const std::string& v = t[i].text;
  if (v == "on" || v == "true" || v == "1") return true;
  if (v == "off" || v == "false" || v == "0") return false;
  return std::nullopt;
}

}  // namespace ra
