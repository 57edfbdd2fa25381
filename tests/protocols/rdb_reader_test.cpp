#include "protocols/rdb_reader.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "protocols/crc64.h"
#include "protocols/rdb_encodings.h"
#include "tests/split_helpers.h"

using ra::RdbErrc;
using ra::RdbItem;
using ra::RdbReader;

namespace {

class StepInput : public ra::RdbInput {
 public:
  StepInput(std::string data, size_t step) : data_(std::move(data)), step_(step) {}
  size_t Read(char* buf, size_t cap) override {
    const size_t n = std::min({cap, step_, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t step_;
  size_t pos_ = 0;
};

struct Walk {
  std::vector<RdbItem> keys;
  std::vector<RdbItem> all;
  RdbErrc error = RdbErrc::kNone;
  std::string message;
  RdbReader::Checksum checksum = RdbReader::Checksum::kNotReached;
  int version = 0;
};

Walk WalkRdb(const std::string& data, size_t step) {
  StepInput in(data, step == 0 ? data.size() + 1 : step);
  RdbReader reader(&in);
  Walk w;
  RdbItem item;
  while (reader.Next(&item)) {
    w.all.push_back(item);
    if (item.kind == RdbItem::Kind::kKey) w.keys.push_back(item);
  }
  w.error = reader.error().code;
  w.message = reader.error().message;
  w.checksum = reader.checksum();
  w.version = reader.version();
  return w;
}

std::string Fixture(const std::string& name) {
  return ra::test::ReadFile(ra::test::FixturesDir() + "/rdb/" + name);
}

std::vector<std::string> Content(const RdbItem& key) {
  ra::RdbValue v;
  std::string err;
  REQUIRE_MESSAGE(ra::DecodeRdbValue(key.type, key.payload, &v, &err), err);
  return v.items;
}

const RdbItem& Key(const Walk& w, const std::string& name) {
  for (const auto& k : w.keys) {
    if (k.key == name) return k;
  }
  FAIL("no key ", name);
  return w.keys.front();
}

}  // namespace

TEST_CASE("crc64 jones") {
  CHECK(ra::Crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL);
  // Slicing and byte-at-a-time agree at every split.
  const std::string s = "The quick brown fox jumps over the lazy dog, again and again.";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    CHECK(ra::Crc64(ra::Crc64(0, s.data(), cut), s.data() + cut, s.size() - cut) ==
          ra::Crc64(0, s.data(), s.size()));
  }
}

TEST_CASE("every fixture reads the same at chunk sizes 1..16 and whole") {
  const std::string dir = ra::test::FixturesDir() + "/rdb";
  REQUIRE(std::filesystem::exists(dir));
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".rdb") continue;  // the licence beside them
    const std::string data = ra::test::ReadFile(entry.path());
    CAPTURE(entry.path().filename().string());
    const Walk whole = WalkRdb(data, 0);
    CHECK(whole.error == RdbErrc::kNone);
    for (size_t step = 1; step <= 16; ++step) {
      const Walk w = WalkRdb(data, step);
      REQUIRE(w.all.size() == whole.all.size());
      for (size_t i = 0; i < w.all.size(); ++i) {
        CHECK(w.all[i].key == whole.all[i].key);
        CHECK(w.all[i].payload == whole.all[i].payload);
        CHECK(w.all[i].offset == whole.all[i].offset);
        CHECK(w.all[i].expire_ms == whole.all[i].expire_ms);
      }
    }
    ++files;
  }
  CHECK(files == 28);
}

TEST_CASE("fixtures hold what redis wrote") {
  Walk w = WalkRdb(Fixture("empty_database.rdb"), 0);
  CHECK(w.keys.empty());
  CHECK(w.version == 3);
  CHECK(w.checksum == RdbReader::Checksum::kAbsent);

  w = WalkRdb(Fixture("multiple_databases.rdb"), 0);
  REQUIRE(w.keys.size() == 2);
  CHECK(Key(w, "key_in_zeroth_database").db == 0);
  CHECK(Content(Key(w, "key_in_zeroth_database")) == std::vector<std::string>{"zero"});
  CHECK(Key(w, "key_in_second_database").db == 2);
  CHECK(Content(Key(w, "key_in_second_database")) == std::vector<std::string>{"second"});

  w = WalkRdb(Fixture("keys_with_expiry.rdb"), 0);
  REQUIRE(w.keys.size() == 1);
  CHECK(w.keys[0].key == "expires_ms_precision");
  CHECK(w.keys[0].expire_ms == 1671963072573);  // 2022-12-25 10:11:12.573 UTC
  CHECK(Content(w.keys[0]) == std::vector<std::string>{"2022-12-25 10:11:12.573 UTC"});

  w = WalkRdb(Fixture("integer_keys.rdb"), 0);
  std::map<std::string, std::string> ints;
  for (const auto& k : w.keys) ints[k.key] = Content(k)[0];
  CHECK(ints == std::map<std::string, std::string>{{"125", "Positive 8 bit integer"},
                                                   {"43947", "Positive 16 bit integer"},
                                                   {"183358245", "Positive 32 bit integer"},
                                                   {"-123", "Negative 8 bit integer"},
                                                   {"-29477", "Negative 16 bit integer"},
                                                   {"-183358245", "Negative 32 bit integer"}});

  w = WalkRdb(Fixture("easily_compressible_string_key.rdb"), 0);
  CHECK(w.keys[0].key == std::string(200, 'a'));  // LZF-compressed key
  CHECK(Content(w.keys[0]) == std::vector<std::string>{"Key that redis should compress easily"});

  w = WalkRdb(Fixture("uncompressible_string_keys.rdb"), 0);
  std::vector<size_t> lengths;
  for (const auto& k : w.keys) lengths.push_back(k.key.size());
  std::sort(lengths.begin(), lengths.end());
  CHECK(lengths == std::vector<size_t>{60, 16382, 16386});

  for (const char* f : {"zipmap_that_compresses_easily.rdb", "hash_as_ziplist.rdb"}) {
    w = WalkRdb(Fixture(f), 0);
    CHECK(Content(Key(w, "zipmap_compresses_easily")) ==
          std::vector<std::string>{"a", "aa", "aa", "aaaa", "aaaaa", "aaaaaaaaaaaaaa"});
  }
  CHECK(WalkRdb(Fixture("zipmap_that_compresses_easily.rdb"), 0).keys[0].type ==
        ra::kRdbHashZipmap);
  CHECK(WalkRdb(Fixture("hash_as_ziplist.rdb"), 0).keys[0].type == ra::kRdbHashZiplist);
  w = WalkRdb(Fixture("zipmap_that_doesnt_compress.rdb"), 0);
  CHECK(Content(Key(w, "zimap_doesnt_compress")) ==
        std::vector<std::string>{"MKD1G6", "2", "YNNXK", "F7TI"});
  w = WalkRdb(Fixture("zipmap_with_big_values.rdb"), 0);
  const auto big = Content(Key(w, "zipmap_with_big_values"));
  REQUIRE(big.size() == 10);
  CHECK(big[1].size() == 253);
  CHECK(big[3].size() == 254);
  CHECK(big[5].size() == 255);
  CHECK(big[7].size() == 300);
  CHECK(big[9].size() == 20000);

  w = WalkRdb(Fixture("dictionary.rdb"), 0);
  CHECK(Content(Key(w, "force_dictionary")).size() == 2000);  // 1000 fields
  w = WalkRdb(Fixture("linkedlist.rdb"), 0);
  CHECK(Key(w, "force_linkedlist").type == ra::kRdbList);
  CHECK(Content(Key(w, "force_linkedlist")).size() == 1000);
  w = WalkRdb(Fixture("ziplist_that_compresses_easily.rdb"), 0);
  std::vector<std::string> expected;
  for (int k = 1; k <= 6; ++k) expected.push_back(std::string(6 * k, 'a'));
  CHECK(Content(Key(w, "ziplist_compresses_easily")) == expected);
  w = WalkRdb(Fixture("ziplist_that_doesnt_compress.rdb"), 0);
  CHECK(Content(Key(w, "ziplist_doesnt_compress")) ==
        std::vector<std::string>{
            "aj2410", "cc953a17a8e096e76a44169ad3f9ac87c5f8248a403274416179aa9fbd852344"});
  w = WalkRdb(Fixture("ziplist_with_integers.rdb"), 0);
  // Every ziplist integer encoding: 4-bit immediates, int8, int16, int24, int32, int64.
  CHECK(Content(Key(w, "ziplist_with_integers")) ==
        std::vector<std::string>{
            "0",   "1",  "2",     "3",      "4",     "5",      "6",       "7",
            "8",   "9",  "10",    "11",     "12",    "-2",     "13",      "25",
            "-61", "63", "16380", "-16000", "65535", "-65523", "4194304", "9223372036854775807"});

  CHECK(Content(WalkRdb(Fixture("intset_16.rdb"), 0).keys[0]) ==
        std::vector<std::string>{"32764", "32765", "32766"});
  CHECK(Content(WalkRdb(Fixture("intset_32.rdb"), 0).keys[0]) ==
        std::vector<std::string>{"2147418108", "2147418109", "2147418110"});
  CHECK(Content(WalkRdb(Fixture("intset_64.rdb"), 0).keys[0]) ==
        std::vector<std::string>{"9223090557583032316", "9223090557583032317",
                                 "9223090557583032318"});
  auto set = Content(WalkRdb(Fixture("regular_set.rdb"), 0).keys[0]);
  std::sort(set.begin(), set.end());
  CHECK(set == std::vector<std::string>{"alpha", "beta", "delta", "gamma", "kappa", "phi"});

  w = WalkRdb(Fixture("sorted_set_as_ziplist.rdb"), 0);
  CHECK(Content(w.keys[0]) ==
        std::vector<std::string>{"8b6ba6718a786daefa69438148361901", "1",
                                 "cb7a24bb7528f934b841b34c3a73e0c7", "2.3700000000000001",
                                 "523af537946b79c4f8369ed39ba78605", "3.423"});
  w = WalkRdb(Fixture("regular_sorted_set.rdb"), 0);
  CHECK(w.keys[0].type == ra::kRdbZset);
  CHECK(Content(w.keys[0]).size() == 1000);  // 500 members and scores

  w = WalkRdb(Fixture("rdb_version_5_with_checksum.rdb"), 0);
  CHECK(w.checksum == RdbReader::Checksum::kOk);
  CHECK(Content(Key(w, "abcd")) == std::vector<std::string>{"efgh"});
  CHECK(w.keys.size() == 6);

  w = WalkRdb(Fixture("rdb_version_8_with_64b_length_and_scores.rdb"), 0);
  CHECK(w.version == 8);
  CHECK(Key(w, "bigset").type == ra::kRdbZset2);
  CHECK(Content(Key(w, "bigset")).size() == 2000);  // 1000 members, binary double scores
  CHECK(Content(Key(w, "bigset"))[1] == "1.618");

  w = WalkRdb(Fixture("redis_40_with_module.rdb"), 0);
  CHECK(w.checksum == RdbReader::Checksum::kDisabled);
  ra::RdbValue module;
  REQUIRE(ra::DecodeRdbValue(Key(w, "foo").type, Key(w, "foo").payload, &module, nullptr));
  CHECK(module.module_name == "ReJSON-RL");

  w = WalkRdb(Fixture("redis_50_with_streams.rdb"), 0);
  CHECK(w.keys.size() == 14);
  ra::RdbValue stream;
  REQUIRE(
      ra::DecodeRdbValue(Key(w, "mystream").type, Key(w, "mystream").payload, &stream, nullptr));
  CHECK(stream.family == "stream");
  CHECK(stream.stream_length == 4);
  CHECK(stream.stream_last_id == "1528199178069-0");
  CHECK(stream.stream_groups.size() == 2);
  CHECK(Key(w, "list").type == ra::kRdbListQuicklist);

  w = WalkRdb(Fixture("redis_60_with_module_aux.rdb"), 0);
  CHECK(std::count_if(w.all.begin(), w.all.end(),
                      [](const RdbItem& i) { return i.kind == RdbItem::Kind::kModuleAux; }) == 1);
  w = WalkRdb(Fixture("parser_filters.rdb"), 0);
  CHECK(w.keys.size() == 43);
  w = WalkRdb(Fixture("non_ascii_values.rdb"), 0);
  CHECK(Content(Key(w, "utf8")) == std::vector<std::string>{"בדיקה𐀏123עברית"});
}

TEST_CASE("truncated rdb files are errors at every cut") {
  for (const char* name :
       {"rdb_version_5_with_checksum.rdb", "redis_50_with_streams.rdb", "keys_with_expiry.rdb",
        "ziplist_with_integers.rdb", "redis_60_with_module_aux.rdb"}) {
    const std::string data = Fixture(name);
    CAPTURE(name);
    for (size_t cut = 0; cut < data.size(); ++cut) {
      const Walk w = WalkRdb(data.substr(0, cut), 7);
      CAPTURE(cut);
      CHECK(w.error != RdbErrc::kNone);
    }
  }
}

TEST_CASE("bit flips in checksummed files are always detected, never crash") {
  uint32_t x = 7;
  for (const char* name : {"rdb_version_5_with_checksum.rdb", "redis_50_with_streams.rdb",
                           "non_ascii_values.rdb", "ziplist_with_integers.rdb"}) {
    const std::string data = Fixture(name);
    CAPTURE(name);
    for (int round = 0; round < 300; ++round) {
      x = x * 1103515245 + 12345;
      std::string bad = data;
      const size_t pos = 9 + (x >> 8) % (bad.size() - 9);
      bad[pos] ^= static_cast<char>(1 << ((x >> 4) & 7));
      CAPTURE(pos);
      CHECK(WalkRdb(bad, 1 + round % 16).error != RdbErrc::kNone);
    }
  }
  // Files without a checksum: flips may go unnoticed, but they never crash the reader.
  for (const char* name : {"parser_filters.rdb", "dictionary.rdb", "zipmap_with_big_values.rdb"}) {
    const std::string data = Fixture(name);
    for (int round = 0; round < 300; ++round) {
      x = x * 1103515245 + 12345;
      std::string bad = data;
      bad[(x >> 8) % bad.size()] ^= static_cast<char>(1 << ((x >> 4) & 7));
      WalkRdb(bad, 5);
    }
  }
}

TEST_CASE("signature and version are checked") {
  CHECK(WalkRdb("RODIS0009\xff", 0).error == RdbErrc::kWrongSignature);
  CHECK(WalkRdb("REDIS0013\xff", 0).error == RdbErrc::kBadVersion);
  CHECK(WalkRdb("REDIS00x9\xff", 0).error == RdbErrc::kBadVersion);
  CHECK(WalkRdb("REDIS", 0).error == RdbErrc::kTruncated);
  const Walk w = WalkRdb(std::string("REDIS0003\xfe\x00\x08\x01k", 14), 0);
  CHECK(w.error == RdbErrc::kCorrupted);
  CHECK(w.message.find("unknown") != std::string::npos);
}

TEST_CASE("blob decoders refuse malformed input") {
  std::vector<std::string> out;
  CHECK_FALSE(ra::DecodeZiplist("", &out));
  CHECK_FALSE(ra::DecodeListpack(std::string("\x07\x00\x00\x00\x01\x00\x00", 7), &out));
  CHECK_FALSE(ra::DecodeIntset(std::string("\x03\x00\x00\x00\x01\x00\x00\x00\x01", 9), &out));
  std::string lzf;
  CHECK_FALSE(
      ra::LzfDecompress("\x01"
                        "a",
                        2, &lzf));  // literal runs past the input
  CHECK(ra::LzfDecompress(std::string("\x02"
                                      "abc",
                                      4),
                          3, &lzf));
  CHECK(lzf == "abc");
}

// RDB files written by a real redis-server in the integration tests (RA_RDB_CORPUS: files
// joined by ':'): every chunk size gives the same items, and the checksum holds.
TEST_CASE("rdb corpus reads the same at every chunk size") {
  ra::test::ForEachCorpusFile("RA_RDB_CORPUS", [](const std::string& path) {
    CAPTURE(path);
    const std::string data = ra::test::ReadFile(path);
    const Walk whole = WalkRdb(data, 0);
    CHECK(whole.error == RdbErrc::kNone);
    CHECK(whole.checksum == RdbReader::Checksum::kOk);
    for (size_t step = 1; step <= 16; ++step) {
      const Walk w = WalkRdb(data, step);
      REQUIRE(w.all.size() == whole.all.size());
      for (size_t i = 0; i < w.all.size(); ++i) CHECK(w.all[i].payload == whole.all[i].payload);
    }
    for (const auto& k : whole.keys) {
      ra::RdbValue v;
      std::string err;
      CHECK_MESSAGE(ra::DecodeRdbValue(k.type, k.payload, &v, &err), k.key, ": ", err);
    }
  });
}
