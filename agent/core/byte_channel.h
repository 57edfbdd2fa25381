// ByteChannel: a bounded queue of byte chunks from one producer thread to one consumer thread
// (the restore's main thread hands a COPY block's data to the loading connection that copies
// it). Push blocks while `capacity` bytes wait; Close marks the end; a consumer that gives up
// (its COPY failed) calls Abandon, after which Push drops data instead of blocking.
// ByteChannelReader is the consumer's end: when its last copy goes — a job dropped before it
// ran, say — it abandons the channel, so the producer never waits for a consumer that is gone.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace ra {

class ByteChannel {
 public:
  explicit ByteChannel(size_t capacity) : capacity_(capacity) {}

  // False once the consumer has abandoned the channel (the data is dropped).
  bool Push(std::string_view data) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return abandoned_ || queued_ < capacity_ || chunks_.empty(); });
    if (abandoned_) return false;
    if (data.empty()) return true;
    queued_ += data.size();
    chunks_.emplace_back(data);
    cv_.notify_all();
    return true;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  // The next chunk; false once the producer closed the channel and everything was taken.
  bool Pop(std::string* out) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !chunks_.empty(); });
    if (chunks_.empty()) return false;
    *out = std::move(chunks_.front());
    chunks_.pop_front();
    queued_ -= out->size();
    cv_.notify_all();
    return true;
  }
  void Abandon() {
    std::lock_guard<std::mutex> lock(mu_);
    abandoned_ = true;
    chunks_.clear();
    queued_ = 0;
    cv_.notify_all();
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  size_t queued_ = 0;
  bool closed_ = false;
  bool abandoned_ = false;
};

class ByteChannelReader {
 public:
  explicit ByteChannelReader(std::shared_ptr<ByteChannel> channel) : channel_(std::move(channel)) {}
  ~ByteChannelReader() { channel_->Abandon(); }
  ByteChannelReader(const ByteChannelReader&) = delete;
  ByteChannelReader& operator=(const ByteChannelReader&) = delete;
  bool Pop(std::string* out) { return channel_->Pop(out); }
  void Abandon() { channel_->Abandon(); }

 private:
  std::shared_ptr<ByteChannel> channel_;
};

}  // namespace ra
