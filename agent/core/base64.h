// Base64 (RFC 4648): decoding the Secrets of a backup set (the launcher), encoding binary Redis
// key names in inspect's JSON.
#pragma once

#include <string>
#include <string_view>

namespace ra {

// Accepts the standard and the URL-safe alphabet, padding and line breaks; throws
// ra::Error(kBadFormat) on any other character.
std::string Base64Decode(const std::string& in);
std::string Base64Encode(std::string_view in);

}  // namespace ra
