// Recognises what a backup holds from its first bytes, and whether a dump's text ends with the
// completion trailer its dump tool writes last. Pure functions; the caller keeps head and tail.
#pragma once

#include <string_view>

namespace ra {

enum class DumpKind { kUnknown, kMysqlDump, kPostgresDump, kPostgresClusterDump, kRdb };

const char* DumpKindName(DumpKind kind);
// The start of the line each dump tool ends its output with ("" for kinds without one).
const char* ExpectedTrailer(DumpKind kind);

// `head` is the first bytes of the (decompressed) input; 4 KiB is plenty.
DumpKind DetectDumpKind(std::string_view head);

// `tail` is the last bytes of the (decompressed) input; 4 KiB is plenty. Returns the trailer
// line (e.g. "-- Dump completed on 2026-11-24  6:30:01"), or empty when there is none.
std::string_view FindCompletionTrailer(DumpKind kind, std::string_view tail);

}  // namespace ra
