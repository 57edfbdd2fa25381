// Decoders of the compact encodings Redis stores inside RDB string blobs: ziplist, listpack,
// intset, zipmap, and LZF-compressed strings. Pure functions over complete blobs; each checks
// every length against the blob's size and returns false on anything malformed (never reads
// past the end).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ra {

// Elements in order; integers rendered in decimal as Redis replies them.
bool DecodeZiplist(std::string_view blob, std::vector<std::string>* out);
bool DecodeListpack(std::string_view blob, std::vector<std::string>* out);
bool DecodeIntset(std::string_view blob, std::vector<std::string>* out);
// Field, value, field, value, ...
bool DecodeZipmap(std::string_view blob, std::vector<std::string>* out);
// Exactly `out_len` bytes must come out.
bool LzfDecompress(std::string_view in, size_t out_len, std::string* out);

}  // namespace ra
