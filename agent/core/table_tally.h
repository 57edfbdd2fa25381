// TableTally: rows per table in first-seen order, counted from the dump while streaming and, for
// restores, as the server reported them. Shared by the restore commands and inspect.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

namespace ra {

struct TableCount {
  std::string name;
  bool created = false;
  uint64_t rows = 0;         // counted in the dump
  uint64_t server_rows = 0;  // the server's own count (affected rows, COPY n)
  bool exact = true;         // the server's count must equal the dump's
};

class TableTally {
 public:
  TableCount& Table(const std::string& name) {
    auto it = index_.find(name);
    if (it != index_.end()) return tables_[it->second];
    index_.emplace(name, tables_.size());
    tables_.push_back(TableCount{name});
    return tables_.back();
  }
  const std::vector<TableCount>& tables() const { return tables_; }
  uint64_t total_rows() const {
    uint64_t n = 0;
    for (const auto& t : tables_) n += t.rows;
    return n;
  }
  nlohmann::json ToJson(bool with_server_rows) const {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : tables_) {
      nlohmann::json j = {{"name", t.name}, {"rows", t.rows}};
      if (with_server_rows) {
        j["created"] = t.created;
        j["server_rows"] = t.server_rows;
      }
      out.push_back(std::move(j));
    }
    return out;
  }

 private:
  std::vector<TableCount> tables_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace ra
