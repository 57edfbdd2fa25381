#include "agent/error.h"

namespace ra {

int ExitCodeFor(ErrorKind kind, int signal) {
  switch (kind) {
    case ErrorKind::kInternal:
      return 1;
    case ErrorKind::kUsage:
      return 2;
    case ErrorKind::kBadFormat:
      return 3;
    case ErrorKind::kCorrupt:
      return 4;
    case ErrorKind::kConnect:
      return 5;
    case ErrorKind::kServer:
      return 6;
    case ErrorKind::kIo:
      return 7;
    case ErrorKind::kIncomplete:
      return 8;
    case ErrorKind::kInterrupted:
      return 128 + (signal > 0 ? signal : 2);
  }
  return 1;
}

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInternal:
      return "internal";
    case ErrorKind::kUsage:
      return "usage";
    case ErrorKind::kBadFormat:
      return "bad-format";
    case ErrorKind::kCorrupt:
      return "corrupt-input";
    case ErrorKind::kConnect:
      return "connect";
    case ErrorKind::kServer:
      return "server";
    case ErrorKind::kIo:
      return "io";
    case ErrorKind::kIncomplete:
      return "incomplete-input";
    case ErrorKind::kInterrupted:
      return "interrupted";
  }
  return "internal";
}

}  // namespace ra
