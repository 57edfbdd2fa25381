#include "protocols/mysql_load_data.h"

#include <vector>

namespace ra {
namespace {

std::string QuoteName(const std::string& name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

// The columns the values go to, in order; false when not certain.
bool TargetColumns(const InsertRows& rows, const MysqlTableShape& shape,
                   const MysqlServerTraits& server, std::vector<const MysqlColumn*>* out,
                   std::string* why) {
  if (rows.columns.empty()) {
    // No column list: the visible columns in order. mariadb-dump writes values for generated
    // columns too, which MariaDB ignores (they go to a variable here).
    for (const MysqlColumn& c : shape.columns) {
      if (c.invisible) continue;
      if (c.generated && !server.ignores_generated_values) {
        *why = "a generated column and no column list";
        return false;
      }
      out->push_back(&c);
    }
  } else {
    for (const std::string& name : MysqlColumnList(rows.columns)) {
      const MysqlColumn* c = shape.Column(name);
      if (c == nullptr || c->generated) {
        *why = "a column the table does not have, or a generated one";
        return false;
      }
      out->push_back(c);
    }
  }
  if (out->size() != rows.fields) {
    *why = "a count of values that is not the count of columns";
    return false;
  }
  return true;
}

// How one value position loads: "" as it is, "convert" through a variable, or refused (*why).
std::string Method(const MysqlColumn& c, bool binary_literal, const std::string& client,
                   std::string* why) {
  if (c.generated) return "";
  if (c.bit || c.spatial) {
    *why = "a BIT or spatial column";
    return "refuse";
  }
  if (c.binary || client == "binary") return "";
  const bool same = c.text && !c.charset.empty() && c.charset == client;
  if (same) return "";
  if (binary_literal) {
    *why = "a binary literal in a column that would read it as text or a number";
    return "refuse";
  }
  return c.text || c.json ? "convert" : "";
}

}  // namespace

bool MysqlLoadStatement(const InsertRows& rows, const MysqlTableShape& shape,
                        const MysqlServerTraits& server, const std::string& file_name,
                        std::string* sql, std::string* why) {
  if (!shape.innodb) {
    *why = "not an InnoDB table";
    return false;
  }
  std::vector<const MysqlColumn*> targets;
  if (!TargetColumns(rows, shape, server, &targets, why)) return false;
  const std::string client = MysqlCharsetName(server.client_charset);
  std::string list, set;
  for (size_t i = 0; i < targets.size(); ++i) {
    const std::string how = Method(*targets[i], rows.binary_values[i], client, why);
    if (how == "refuse") return false;
    if (!list.empty()) list += ",";
    if (targets[i]->generated) {
      list += "@restore_agent_ignored";
      continue;
    }
    if (how.empty()) {
      list += QuoteName(targets[i]->name);
      continue;
    }
    const std::string var = "@restore_agent_" + std::to_string(i);
    list += var;
    set += (set.empty() ? " SET " : ", ") + QuoteName(targets[i]->name) + " = CONVERT(" + var +
           " USING " + client + ")";
  }
  *sql = "LOAD DATA LOCAL INFILE '" + file_name + "' " + rows.modifier + " INTO TABLE " +
         rows.table + " CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' " +
         "LINES TERMINATED BY '\\n' (" + list + ")" + set;
  return true;
}

}  // namespace ra
