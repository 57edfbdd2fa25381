// The launcher's journal in the backup dir: one JSON object a line, appended and fsynced.
// {"done": STEP} marks a finished step; {"fact": KEY, "value": V} remembers what a rerun must
// not read again from the cluster (replica counts before scaling to 0, the APIManager's zync
// spec, a Redis swap already made); {"restart": true} forgets the finished steps but keeps the
// facts, so that replicas scaled down by an earlier run are still put back to their old counts.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "agent/core/journal.h"

namespace ra::launcher {

class Journal {
 public:
  explicit Journal(std::string path);  // reads what is there
  const std::string& path() const { return file_.path(); }

  bool Done(const std::string& step) const { return done_.count(step) != 0; }
  void MarkDone(const std::string& step);
  void Restart();
  bool Empty() const { return done_.empty(); }
  const std::set<std::string>& done() const { return done_; }

  std::optional<nlohmann::json> Fact(const std::string& key) const;
  void SetFact(const std::string& key, const nlohmann::json& value);
  void ForgetFact(const std::string& key);

 private:
  JsonJournal file_;
  std::set<std::string> done_;
  nlohmann::json facts_ = nlohmann::json::object();
};

}  // namespace ra::launcher
