#include "agent/launcher/journal.h"

namespace ra::launcher {

Journal::Journal(std::string path) : file_(std::move(path), 0600) {
  for (const nlohmann::json& r : file_.Read()) {
    if (r.contains("done")) done_.insert(r["done"].get<std::string>());
    if (r.contains("restart")) done_.clear();
    if (r.contains("fact")) {
      if (r.contains("value"))
        facts_[r["fact"].get<std::string>()] = r["value"];
      else
        facts_.erase(r["fact"].get<std::string>());
    }
  }
}

void Journal::MarkDone(const std::string& step) {
  file_.Append({{"done", step}});
  done_.insert(step);
}

void Journal::Restart() {
  file_.Append({{"restart", true}});
  done_.clear();
}

std::optional<nlohmann::json> Journal::Fact(const std::string& key) const {
  if (!facts_.contains(key)) return std::nullopt;
  return facts_[key];
}

void Journal::SetFact(const std::string& key, const nlohmann::json& value) {
  file_.Append({{"fact", key}, {"value", value}});
  facts_[key] = value;
}

void Journal::ForgetFact(const std::string& key) {
  file_.Append({{"fact", key}});
  facts_.erase(key);
}

}  // namespace ra::launcher
