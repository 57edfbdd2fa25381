#include "protocols/mysql_table.h"

#include <cctype>

namespace ra {
namespace {

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Where the quoted text starting at s[i] (a quote or backtick) ends, past its closing quote;
// npos when it does not end. Doubled quotes and, outside backticks, backslashes escape.
size_t SkipQuoted(std::string_view s, size_t i) {
  const char q = s[i];
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\' && q != '`') {
      ++i;
    } else if (s[i] == q) {
      if (i + 1 < s.size() && s[i + 1] == q) {
        ++i;
        continue;
      }
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// The top-level parts of the parenthesised list opening at s[open]: split at commas outside
// quotes, comments and inner parentheses. *close: where its closing parenthesis is.
bool SplitList(std::string_view s, size_t open, std::vector<std::string>* parts, size_t* close) {
  int depth = 0;
  size_t start = open + 1;
  for (size_t i = open; i < s.size();) {
    const char c = s[i];
    if (c == '\'' || c == '"' || c == '`') {
      i = SkipQuoted(s, i);
      if (i == std::string_view::npos) return false;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      const size_t end = s.find("*/", i + 2);
      if (end == std::string_view::npos) return false;
      i = end + 2;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) {
      parts->push_back(Trim(s.substr(start, i - start)));
      *close = i;
      return true;
    }
    if (c == ',' && depth == 1) {
      parts->push_back(Trim(s.substr(start, i - start)));
      start = i + 1;
    }
    ++i;
  }
  return false;
}

// The first parenthesis outside quotes, or npos.
size_t FindOpen(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '\'' || s[i] == '"' || s[i] == '`') {
      i = SkipQuoted(s, i);
      if (i == std::string_view::npos) break;
      continue;
    }
    if (s[i] == '(') return i;
    ++i;
  }
  return std::string_view::npos;
}

// The table's name as written in a CREATE TABLE's head (before its column list): the last
// name-like token.
std::string TableName(std::string_view head) {
  size_t e = head.size();
  while (e > 0 && std::isspace(static_cast<unsigned char>(head[e - 1]))) --e;
  size_t b = e;
  while (b > 0) {
    const char c = head[b - 1];
    if (c == '`') {  // a quoted part: back to its opening quote
      size_t q = b - 1;
      while (q > 0 && head[q - 1] != '`') --q;
      b = q > 0 ? q - 1 : 0;
      continue;
    }
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '.' ||
        static_cast<unsigned char>(c) >= 0x80) {
      --b;
      continue;
    }
    break;
  }
  return std::string(head.substr(b, e - b));
}

// The text with quoted strings emptied, upper case: for finding keywords.
std::string Skeleton(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '\'' || s[i] == '"' || s[i] == '`') {
      const size_t end = SkipQuoted(s, i);
      out += "''";
      if (end == std::string_view::npos) break;
      i = end;
      continue;
    }
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(s[i++]))));
  }
  return out;
}

std::string Unquote(std::string_view name) {
  if (name.size() < 2 || name.front() != '`') return std::string(name);
  std::string out;
  for (size_t i = 1; i + 1 < name.size(); ++i) {
    out.push_back(name[i]);
    if (name[i] == '`') ++i;
  }
  return out;
}

// The leading identifier of a key part or a column definition: `a` or a.
std::string LeadingName(std::string_view s, size_t* end) {
  if (!s.empty() && s[0] == '`') {
    *end = SkipQuoted(s, 0);
    if (*end == std::string_view::npos) *end = s.size();
    return Unquote(s.substr(0, *end));
  }
  size_t i = 0;
  while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) ++i;
  *end = i;
  return std::string(s.substr(0, i));
}

std::vector<std::string> ListNames(std::string_view s, size_t open) {
  std::vector<std::string> parts, names;
  size_t close = 0;
  if (!SplitList(s, open, &parts, &close)) return names;
  for (const std::string& p : parts) {
    size_t end = 0;
    names.push_back(p.empty() || p[0] == '(' ? "" : LeadingName(p, &end));
  }
  return names;
}

// The word after `keyword` (followed by a space or '='), lower case; "" when absent.
std::string WordAfter(const std::string& skeleton, const char* keyword) {
  const size_t at = skeleton.find(keyword);
  if (at == std::string::npos) return "";
  size_t i = at + std::string_view(keyword).size();
  while (i < skeleton.size() && (skeleton[i] == ' ' || skeleton[i] == '=')) ++i;
  size_t e = i;
  while (e < skeleton.size() &&
         (std::isalnum(static_cast<unsigned char>(skeleton[e])) || skeleton[e] == '_'))
    ++e;
  std::string w = skeleton.substr(i, e - i);
  for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return w;
}

// A column's own character set: CHARACTER SET x, else the one its COLLATE names.
std::string ColumnCharset(const std::string& skeleton) {
  std::string cs = WordAfter(skeleton, "CHARACTER SET");
  if (cs.empty()) cs = WordAfter(skeleton, " CHARSET");
  if (cs.empty()) {
    const std::string collation = WordAfter(skeleton, "COLLATE");
    cs = collation == "binary" ? collation : collation.substr(0, collation.find('_'));
  }
  return cs.empty() ? cs : MysqlCharsetName(cs);
}

bool ParseColumn(const std::string& item, MysqlColumn* c) {
  size_t end = 0;
  c->name = LeadingName(item, &end);
  if (end == 0) return false;
  size_t t = end;
  while (t < item.size() && std::isspace(static_cast<unsigned char>(item[t]))) ++t;
  size_t te = t;
  while (te < item.size() &&
         (std::isalnum(static_cast<unsigned char>(item[te])) || item[te] == '_'))
    ++te;
  c->type = item.substr(t, te - t);
  for (char& ch : c->type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  static const std::vector<std::string> kBinary = {"binary", "varbinary",  "tinyblob",
                                                   "blob",   "mediumblob", "longblob"};
  static const std::vector<std::string> kSpatial = {
      "geometry",        "point",        "linestring",         "polygon",       "multipoint",
      "multilinestring", "multipolygon", "geometrycollection", "geomcollection"};
  for (const std::string& b : kBinary) c->binary = c->binary || c->type == b;
  for (const std::string& g : kSpatial) c->spatial = c->spatial || c->type == g;
  c->bit = c->type == "bit";
  static const std::vector<std::string> kText = {"char",       "varchar",  "tinytext", "text",
                                                 "mediumtext", "longtext", "enum",     "set"};
  for (const std::string& t : kText) c->text = c->text || c->type == t;
  c->json = c->type == "json";
  const std::string sk = Skeleton(std::string_view(item).substr(te));
  if (c->text) c->charset = ColumnCharset(sk);
  c->generated =
      sk.find("GENERATED ALWAYS") != std::string::npos || sk.find(" AS (") != std::string::npos;
  c->invisible = sk.find("INVISIBLE") != std::string::npos;
  c->auto_increment = sk.find("AUTO_INCREMENT") != std::string::npos;
  return true;
}

// A key or constraint definition; false when `item` is a column.
bool ParseKey(const std::string& item, MysqlKey* k) {
  if (item.empty() || item[0] == '`') return false;
  std::string sk = Skeleton(item);
  size_t at = 0;
  if (sk.rfind("CONSTRAINT", 0) == 0) {  // CONSTRAINT [name] ...
    at = 10;
    while (at < sk.size() && std::isspace(static_cast<unsigned char>(sk[at]))) ++at;
    if (sk.compare(at, 2, "''") == 0) at += 2;
    while (at < sk.size() && std::isspace(static_cast<unsigned char>(sk[at]))) ++at;
  }
  const std::string rest = sk.substr(at);
  const auto starts = [&](std::string_view w) {
    return rest.rfind(w, 0) == 0 &&
           (rest.size() == w.size() ||
            !(std::isalnum(static_cast<unsigned char>(rest[w.size()])) || rest[w.size()] == '_'));
  };
  if (starts("PRIMARY")) {
    k->kind = MysqlKeyKind::kPrimary;
  } else if (starts("UNIQUE")) {
    k->kind = MysqlKeyKind::kUnique;
  } else if (starts("FULLTEXT")) {
    k->kind = MysqlKeyKind::kFulltext;
  } else if (starts("SPATIAL")) {
    k->kind = MysqlKeyKind::kSpatial;
  } else if (starts("FOREIGN")) {
    k->kind = MysqlKeyKind::kForeign;
  } else if (starts("KEY") || starts("INDEX")) {
    k->kind = MysqlKeyKind::kPlain;
  } else if (at > 0 || starts("CHECK") || starts("PERIOD")) {
    k->kind = MysqlKeyKind::kCheck;
  } else {
    return false;  // an unquoted column name
  }
  k->text = item;
  const size_t open = FindOpen(item);
  if (open != std::string::npos && k->kind != MysqlKeyKind::kCheck) {
    k->columns = ListNames(item, open);
  }
  return true;
}

}  // namespace

std::string MysqlCharsetName(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out == "utf8" ? "utf8mb3" : out;
}

const MysqlColumn* MysqlTableShape::Column(std::string_view name) const {
  for (const MysqlColumn& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

std::vector<std::string> MysqlColumnList(std::string_view list) {
  if (list.empty() || list[0] != '(') return {};
  return ListNames(list, 0);
}

bool ParseMysqlCreateTable(std::string_view create, MysqlTableShape* out, std::string* why) {
  *out = MysqlTableShape();
  std::vector<std::string> items;
  size_t close = 0;
  const size_t open = FindOpen(create);
  if (open == std::string_view::npos || !SplitList(create, open, &items, &close)) {
    *why = "no column list";
    return false;
  }
  for (const std::string& item : items) {
    MysqlKey key;
    MysqlColumn column;
    if (ParseKey(item, &key)) {
      out->keys.push_back(std::move(key));
    } else if (ParseColumn(item, &column)) {
      out->columns.push_back(std::move(column));
    }
  }
  out->options = std::string(create.substr(close + 1));
  const std::string options = Skeleton(out->options);
  out->innodb = options.find("ENGINE=INNODB") != std::string::npos;
  out->partitioned = options.find("PARTITION BY") != std::string::npos;
  const std::string charset = WordAfter(options, "CHARSET");
  out->charset = charset.empty() ? charset : MysqlCharsetName(charset);
  for (MysqlColumn& c : out->columns)
    if (c.text && c.charset.empty()) c.charset = out->charset;
  out->name = TableName(create.substr(0, open));
  if (options.find("SELECT") != std::string::npos) {
    *why = "CREATE TABLE ... SELECT";
    return false;
  }
  return true;
}

namespace {

std::string JoinAdds(const std::string& table, const std::vector<std::string>& definitions) {
  std::string sql = "ALTER TABLE " + table;
  for (size_t i = 0; i < definitions.size(); ++i)
    sql += (i == 0 ? " ADD " : ", ADD ") + definitions[i];
  return sql;
}

bool Deferrable(MysqlKeyKind k) {
  return k == MysqlKeyKind::kPlain || k == MysqlKeyKind::kFulltext || k == MysqlKeyKind::kSpatial ||
         k == MysqlKeyKind::kForeign;
}

// Why the table must keep its definition, or "".
std::string KeepReason(const MysqlTableShape& shape, bool foreign_key_checks_off) {
  if (!shape.innodb) return "not InnoDB";
  if (shape.partitioned) return "partitioned";
  bool secondary = false, foreign = false;
  for (const MysqlKey& k : shape.keys) {
    secondary = secondary || (Deferrable(k.kind) && k.kind != MysqlKeyKind::kForeign);
    foreign = foreign || k.kind == MysqlKeyKind::kForeign;
  }
  if (!secondary) return "no secondary index";
  if (foreign && !foreign_key_checks_off) return "foreign keys, and foreign_key_checks is on";
  for (const MysqlColumn& c : shape.columns) {
    if (!c.auto_increment) continue;
    bool covered = false;
    for (const MysqlKey& k : shape.keys) {
      covered = covered || ((k.kind == MysqlKeyKind::kPrimary || k.kind == MysqlKeyKind::kUnique) &&
                            !k.columns.empty() && k.columns[0] == c.name);
    }
    if (!covered) return "its AUTO_INCREMENT column is in a secondary index only";
  }
  return "";
}

}  // namespace

bool PlanDeferredIndexes(std::string_view create, const MysqlTableShape& shape,
                         const std::string& table, bool foreign_key_checks_off,
                         DeferredIndexes* out, std::string* why) {
  *out = DeferredIndexes();
  *why = KeepReason(shape, foreign_key_checks_off);
  if (!why->empty()) return false;
  std::vector<std::string> items, kept, plain, foreign;
  size_t close = 0;
  const size_t open = FindOpen(create);
  if (open == std::string_view::npos || !SplitList(create, open, &items, &close)) {
    *why = "no column list";
    return false;
  }
  const std::string head = Skeleton(create.substr(0, open));
  if (head.find("TEMPORARY") != std::string::npos ||
      head.find("IF NOT EXISTS") != std::string::npos) {
    *why = "CREATE TEMPORARY TABLE or CREATE TABLE IF NOT EXISTS";
    return false;
  }
  for (const std::string& item : items) {
    MysqlKey key;
    if (!ParseKey(item, &key) || !Deferrable(key.kind)) {
      kept.push_back(item);
    } else if (key.kind == MysqlKeyKind::kForeign) {
      foreign.push_back(item);
    } else if (key.kind == MysqlKeyKind::kFulltext) {
      out->alters.push_back(JoinAdds(table, {item}));
    } else {
      plain.push_back(item);
    }
  }
  if (!plain.empty()) out->alters.insert(out->alters.begin(), JoinAdds(table, plain));
  if (!foreign.empty()) out->foreign.push_back(JoinAdds(table, foreign));
  out->create = std::string(create.substr(0, open + 1));
  for (size_t i = 0; i < kept.size(); ++i) out->create += (i == 0 ? "\n  " : ",\n  ") + kept[i];
  out->create += "\n" + std::string(create.substr(close));
  return true;
}

}  // namespace ra
