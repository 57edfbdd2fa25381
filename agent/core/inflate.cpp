#include "agent/core/inflate.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "agent/core/error.h"

namespace ra {
namespace {

constexpr unsigned char kFlagHcrc = 2, kFlagExtra = 4, kFlagName = 8, kFlagComment = 16;

// The length of the gzip header at the start of `h` (RFC 1952), or 0 while it is incomplete.
size_t GzipHeaderLength(const std::string& h) {
  if (h.size() < 10) return 0;
  const auto flags = static_cast<unsigned char>(h[3]);
  size_t n = 10;
  if (flags & kFlagExtra) {
    if (h.size() < n + 2) return 0;
    n += 2 + (static_cast<unsigned char>(h[n]) | static_cast<unsigned char>(h[n + 1]) << 8);
  }
  for (const unsigned char f : {kFlagName, kFlagComment}) {
    if (!(flags & f)) continue;
    const size_t zero = h.find('\0', n);
    if (zero == std::string::npos) return 0;
    n = zero + 1;
  }
  if (flags & kFlagHcrc) n += 2;
  return h.size() >= n ? n : 0;
}

const char* IsalError(int rc) {
  switch (rc) {
    case ISAL_INVALID_BLOCK:
      return "invalid block";
    case ISAL_INVALID_SYMBOL:
      return "invalid symbol";
    case ISAL_INVALID_LOOKBACK:
      return "invalid distance too far back";
    default:
      return "invalid deflate data";
  }
}

uint32_t LoadLe32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

}  // namespace

std::string InflateLibraryDescription() { return "isa-l (igzip) inflate"; }

InflateSource::InflateSource(ByteSource& in, std::string name, StreamCounters* counters,
                             size_t buffer_bytes)
    : in_(in), name_(std::move(name)), counters_(counters), inbuf_(buffer_bytes) {}

InflateSource::~InflateSource() = default;

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

size_t InflateSource::ReadPlain(char* buf, size_t cap) {
  if (!FillInput()) return 0;
  const size_t n = std::min(cap, in_len_ - in_pos_);
  std::memcpy(buf, inbuf_.data() + in_pos_, n);
  in_pos_ += n;
  consumed_ += n;
  if (counters_ != nullptr) counters_->output_bytes += n;
  return n;
}

bool InflateSource::NextByte(unsigned char* b) {
  if (!pushback_.empty()) {
    *b = static_cast<unsigned char>(pushback_.front());
    pushback_.erase(0, 1);
  } else if (FillInput()) {
    *b = static_cast<unsigned char>(inbuf_[in_pos_++]);
  } else {
    return false;
  }
  ++consumed_;
  return true;
}

void InflateSource::Truncated() const {
  throw Error(ErrorKind::kCorrupt,
              "truncated gzip input '" + name_ + "': compressed data ends at byte " +
                  std::to_string(consumed_) + " inside gzip member " +
                  std::to_string(members_ + 1) + " (unexpected eof in compressed data)");
}

void InflateSource::Corrupt(const std::string& why) const {
  throw Error(ErrorKind::kCorrupt, "corrupt gzip input '" + name_ + "' near compressed byte " +
                                       std::to_string(consumed_) + " in member " +
                                       std::to_string(members_ + 1) + ": " + why);
}

// Between members: the end of input is the clean end; anything else must start a member.
bool InflateSource::StartMember() {
  unsigned char b;
  if (!NextByte(&b)) return false;
  if (b != 0x1f) {
    throw Error(ErrorKind::kCorrupt, "corrupt gzip input '" + name_ +
                                         "': unexpected bytes after gzip member " +
                                         std::to_string(members_) + " at compressed byte " +
                                         std::to_string(consumed_ - 1));
  }
  header_.assign(1, static_cast<char>(b));
  return true;
}

bool InflateSource::ReadHeader() {
  unsigned char b;
  while (GzipHeaderLength(header_) == 0) {
    if (!NextByte(&b)) return false;
    header_.push_back(static_cast<char>(b));
    if (header_.size() == 3 && (static_cast<unsigned char>(header_[1]) != 0x8b || b != 8)) {
      Corrupt("incorrect header check");
    }
  }
  if (!isal_) isal_ = std::make_unique<inflate_state>();
  isal_inflate_init(isal_.get());      // resets the state; the window is reused
  isal_->crc_flag = ISAL_GZIP_NO_HDR;  // raw deflate, CRC32 of the output kept in crc
  member_out_ = 0;
  trailer_.clear();
  return true;
}

// Feeds ISA-L the pushed-back bytes first, then the input buffer in place; at the member's end,
// gives back the whole bytes its bit buffer had read past the deflate data.
size_t InflateSource::InflateData(char* buf, size_t cap) {
  inflate_state& s = *isal_;
  s.next_out = reinterpret_cast<uint8_t*>(buf);
  s.avail_out = static_cast<uint32_t>(std::min<size_t>(cap, UINT32_MAX));
  for (;;) {
    std::string from_pushback;
    const bool from_input = pushback_.empty();
    if (!from_input) {
      from_pushback.swap(pushback_);
      s.next_in = reinterpret_cast<uint8_t*>(from_pushback.data());
      s.avail_in = static_cast<uint32_t>(from_pushback.size());
    } else if (FillInput()) {
      s.next_in = reinterpret_cast<uint8_t*>(inbuf_.data() + in_pos_);
      s.avail_in = static_cast<uint32_t>(in_len_ - in_pos_);
    } else {
      Truncated();
    }
    const uint32_t given = s.avail_in, room = s.avail_out;
    const int rc = isal_inflate(&s);
    consumed_ += given - s.avail_in;
    const size_t produced = room - s.avail_out;
    member_out_ += produced;
    if (counters_ != nullptr) counters_->output_bytes += produced;
    if (rc < 0) Corrupt(IsalError(rc));
    // What ISA-L did not take stays where it was.
    if (from_input) {
      in_pos_ = static_cast<size_t>(reinterpret_cast<char*>(s.next_in) - inbuf_.data());
    } else {
      pushback_.assign(reinterpret_cast<const char*>(s.next_in), s.avail_in);
    }
    s.avail_in = 0;
    if (s.block_state == ISAL_BLOCK_FINISH) {
      const uint64_t bits = s.read_in >> (s.read_in_length % 8);
      std::string back;
      for (int i = 0; i < s.read_in_length / 8; ++i)
        back.push_back(static_cast<char>(bits >> (8 * i)));
      consumed_ -= back.size();
      pushback_.insert(0, back);
      phase_ = Phase::kTrailer;
      return produced;
    }
    if (produced > 0) return produced;
  }
}

bool InflateSource::ReadTrailer() {
  unsigned char b;
  while (trailer_.size() < 8) {
    if (!NextByte(&b)) return false;
    trailer_.push_back(static_cast<char>(b));
  }
  if (LoadLe32(trailer_, 0) != isal_->crc) Corrupt("incorrect data check");
  if (LoadLe32(trailer_, 4) != static_cast<uint32_t>(member_out_))
    Corrupt("incorrect length check");
  return true;
}

size_t InflateSource::Read(char* buf, size_t cap) {
  if (!detected_) Detect();
  if (cap == 0) return 0;
  if (!gzip_) return ReadPlain(buf, cap);
  for (;;) {
    switch (phase_) {
      case Phase::kDone:
        return 0;
      case Phase::kBetween:
        phase_ = StartMember() ? Phase::kHeader : Phase::kDone;
        break;
      case Phase::kHeader:
        if (!ReadHeader()) Truncated();
        phase_ = Phase::kData;
        break;
      case Phase::kData:
        if (const size_t n = InflateData(buf, cap); n > 0) return n;
        break;
      case Phase::kTrailer:
        if (!ReadTrailer()) Truncated();
        ++members_;
        phase_ = Phase::kBetween;
        break;
    }
  }
}

}  // namespace ra
