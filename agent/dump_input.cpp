#include "agent/dump_input.h"

#include "agent/error.h"

namespace ra {

DumpInput::DumpInput(const std::string& path, StreamCounters* counters)
    : file_(path, counters), inflate_(file_, file_.name(), counters), buf_(size_t{1} << 20) {}

DumpKind DumpInput::kind() {
  if (!head_read_) {
    head_read_ = true;
    while (head_.size() < kHeadBytes) {
      const size_t n = inflate_.Read(buf_.data(), kHeadBytes - head_.size());
      if (n == 0) break;
      head_.append(buf_.data(), n);
    }
    kind_ = DetectDumpKind(head_);
  }
  return kind_;
}

void DumpInput::KeepTail(std::string_view bytes) {
  if (bytes.size() >= kTailBytes) {
    tail_.assign(bytes.substr(bytes.size() - kTailBytes));
  } else {
    tail_.append(bytes);
    if (tail_.size() > kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
  }
}

std::string_view DumpInput::NextChunk() {
  kind();
  std::string_view out;
  if (!head_given_) {
    head_given_ = true;
    if (!head_.empty()) {
      out = head_;
    }
  }
  if (out.empty()) {
    const size_t n = inflate_.Read(buf_.data(), buf_.size());
    out = std::string_view(buf_.data(), n);
  }
  produced_ += out.size();
  KeepTail(out);
  return out;
}

void RequireDumpKind(DumpKind kind, const std::string& name, const std::string& command) {
  std::string wanted;
  switch (kind) {
    case DumpKind::kMysqlDump:
      wanted = "restore-mysql";
      break;
    case DumpKind::kPostgresDump:
    case DumpKind::kPostgresClusterDump:
      wanted = "restore-postgres";
      break;
    case DumpKind::kRdb:
      wanted = "restore-redis";
      break;
    case DumpKind::kUnknown:
      return;
  }
  if (wanted != command) {
    throw Error(ErrorKind::kBadFormat, "'" + name + "' is " + DumpKindName(kind) +
                                           " output, which " + command + " does not restore: use " +
                                           wanted);
  }
}

}  // namespace ra
