#include "agent/core/inflate.h"

#include <cstring>

#include "agent/core/error.h"

namespace ra {

InflateSource::InflateSource(ByteSource& in, std::string name, StreamCounters* counters,
                             size_t buffer_bytes)
    : in_(in), name_(std::move(name)), counters_(counters), inbuf_(buffer_bytes) {}

InflateSource::~InflateSource() {
  if (zs_init_) inflateEnd(&zs_);
}

bool InflateSource::FillInput() {
  if (in_pos_ < in_len_) return true;
  if (in_eof_) return false;
  in_pos_ = 0;
  in_len_ = in_.Read(inbuf_.data(), inbuf_.size());
  if (in_len_ == 0) in_eof_ = true;
  return in_len_ > 0;
}

void InflateSource::Detect() {
  detected_ = true;
  // Gather two bytes (a 1-byte source may hand them over one at a time).
  while (in_len_ - in_pos_ < 2 && !in_eof_) {
    if (in_pos_ > 0) {
      std::memmove(inbuf_.data(), inbuf_.data() + in_pos_, in_len_ - in_pos_);
      in_len_ -= in_pos_;
      in_pos_ = 0;
    }
    const size_t n = in_.Read(inbuf_.data() + in_len_, inbuf_.size() - in_len_);
    if (n == 0) in_eof_ = true;
    in_len_ += n;
  }
  gzip_ = in_len_ - in_pos_ >= 2 && static_cast<unsigned char>(inbuf_[in_pos_]) == 0x1f &&
          static_cast<unsigned char>(inbuf_[in_pos_ + 1]) == 0x8b;
}

bool InflateSource::is_gzip() {
  if (!detected_) Detect();
  return gzip_;
}

size_t InflateSource::Read(char* buf, size_t cap) {
  if (!detected_) Detect();
  if (done_ || cap == 0) return 0;
  if (!gzip_) {
    if (!FillInput()) {
      done_ = true;
      return 0;
    }
    const size_t n = std::min(cap, in_len_ - in_pos_);
    std::memcpy(buf, inbuf_.data() + in_pos_, n);
    in_pos_ += n;
    consumed_ += n;
    if (counters_ != nullptr) counters_->output_bytes += n;
    return n;
  }
  for (;;) {
    if (!stream_open_) {
      // Between members: end of input is the clean end; anything else must be a new member.
      if (!FillInput()) {
        done_ = true;
        return 0;
      }
      if (static_cast<unsigned char>(inbuf_[in_pos_]) != 0x1f) {
        throw Error(ErrorKind::kCorrupt, "corrupt gzip input '" + name_ +
                                             "': unexpected bytes after gzip member " +
                                             std::to_string(members_) + " at compressed byte " +
                                             std::to_string(consumed_));
      }
      if (!zs_init_) {
        if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) {
          throw Error(ErrorKind::kInternal, "zlib inflateInit2 failed");
        }
        zs_init_ = true;
      } else {
        inflateReset(&zs_);
      }
      stream_open_ = true;
    }
    if (!FillInput()) {
      throw Error(ErrorKind::kCorrupt,
                  "truncated gzip input '" + name_ + "': compressed data ends at byte " +
                      std::to_string(consumed_) + " inside gzip member " +
                      std::to_string(members_ + 1) + " (unexpected eof in compressed data)");
    }
    zs_.next_in = reinterpret_cast<Bytef*>(inbuf_.data() + in_pos_);
    zs_.avail_in = static_cast<uInt>(in_len_ - in_pos_);
    zs_.next_out = reinterpret_cast<Bytef*>(buf);
    zs_.avail_out = static_cast<uInt>(std::min<size_t>(cap, UINT32_MAX));
    const int rc = inflate(&zs_, Z_NO_FLUSH);
    const size_t used = (in_len_ - in_pos_) - zs_.avail_in;
    in_pos_ += used;
    consumed_ += used;
    const size_t produced = static_cast<size_t>(reinterpret_cast<char*>(zs_.next_out) - buf);
    if (counters_ != nullptr) counters_->output_bytes += produced;
    if (rc == Z_STREAM_END) {
      ++members_;
      stream_open_ = false;
    } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && used == 0 && produced == 0)) {
      const char* why = zs_.msg != nullptr ? zs_.msg : zError(rc);
      throw Error(ErrorKind::kCorrupt, "corrupt gzip input '" + name_ + "' near compressed byte " +
                                           std::to_string(consumed_) + " in member " +
                                           std::to_string(members_ + 1) + ": " + why);
    }
    if (produced > 0) return produced;
  }
}

std::string InflateLibraryDescription() { return std::string("zlib ") + zlibVersion(); }

}  // namespace ra
