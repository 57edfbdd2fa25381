#include "agent/core/dump_input.h"

#include <algorithm>
#include <cstring>

#include "agent/core/error.h"

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

DumpInput::~DumpInput() {
  if (!reader_.joinable()) return;
  ahead_->Abandon();  // a reader waiting for room goes on, and ends
  file_.Cancel();     // a read pending on a pipe returns
  reader_.join();
}

std::string_view DumpInput::ReadDirect() {
  const size_t n = inflate_.Read(buf_.data(), buf_.size());
  return std::string_view(buf_.data(), n);
}

void DumpInput::StartReadAhead(size_t depth) {
  if (reader_.joinable()) return;
  kind();  // the head is read here, before the thread owns the stream
  ahead_ = std::make_unique<ByteChannel>(depth * buf_.size());
  reader_ = std::thread([this] { ReaderLoop(); });
}

void DumpInput::ReaderLoop() {
  try {
    for (;;) {
      const std::string_view chunk = ReadDirect();
      if (chunk.empty() || !ahead_->Push(chunk)) break;
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(error_mutex_);
    reader_error_ = std::current_exception();
  }
  ahead_->Close();
}

std::string_view DumpInput::NextChunk() {
  kind();
  std::string_view out;
  if (!head_given_) {
    head_given_ = true;
    out = head_;
  }
  if (out.empty() && ahead_) {
    if (ahead_->Pop(&current_)) {
      out = current_;
    } else {
      std::lock_guard<std::mutex> lock(error_mutex_);
      if (reader_error_) std::rethrow_exception(reader_error_);
    }
  } else if (out.empty()) {
    out = ReadDirect();
  }
  produced_ += out.size();
  KeepTail(out);
  return out;
}

size_t DumpRdbInput::Read(char* buf, size_t cap) {
  while (pending_.empty()) {
    pending_ = in_.NextChunk();
    if (pending_.empty()) return 0;
  }
  const size_t n = std::min(cap, pending_.size());
  std::memcpy(buf, pending_.data(), n);
  pending_.remove_prefix(n);
  return n;
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
