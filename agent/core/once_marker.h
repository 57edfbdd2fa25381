// --once-marker PATH: in a sidecar or init container that restarts, a restore runs at most once
// per backup. The backup is identified by a checksum of the file (CRC64 and size); the marker is
// written, atomically and only after a successful restore, with that checksum.
#pragma once

#include <string>

namespace ra {

// "crc64:<16 hex digits> size:<bytes>" of the file. Throws ra::Error(kIo).
std::string BackupChecksum(const std::string& path);

// True when `marker` records `checksum` as restored; *when gets the time it records.
bool MarkerSaysRestored(const std::string& marker, const std::string& checksum, std::string* when);

// Writes the marker (temp file, rename; mode 0640). Throws ra::Error(kIo).
void WriteMarker(const std::string& marker, const std::string& checksum, const std::string& source);

}  // namespace ra
