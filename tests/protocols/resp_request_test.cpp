#include "protocols/resp_request.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using Cmd = std::vector<std::string>;

// What Redis 6 and 7 replicas send, in their order, with Redis 7's keepalive newlines.
const std::string kHandshake =
    "*1\r\n$4\r\nPING\r\n"
    "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n"
    "*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$4\r\n6380\r\n"
    "*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n"
    "*3\r\n$5\r\nPSYNC\r\n$40\r\n0123456789abcdef0123456789abcdef01234567\r\n$2\r\n-1\r\n"
    "\n\n"
    "PING\r\n";

std::vector<Cmd> ReadAll(const std::string& bytes, size_t chunk) {
  ra::RespRequestReader r;
  std::vector<Cmd> out;
  Cmd c;
  for (size_t i = 0; i < bytes.size(); i += chunk) {
    r.Feed(std::string_view(bytes).substr(i, chunk));
    while (r.Next(&c)) out.push_back(c);
    REQUIRE(r.error().empty());
  }
  return out;
}

}  // namespace

TEST_CASE("resp requests: the replication handshake at every chunk size") {
  const std::vector<Cmd> want = {{"PING"},
                                 {"AUTH", "secret"},
                                 {"REPLCONF", "listening-port", "6380"},
                                 {"REPLCONF", "capa", "eof", "capa", "psync2"},
                                 {"PSYNC", "0123456789abcdef0123456789abcdef01234567", "-1"},
                                 {"PING"}};
  for (size_t chunk = 1; chunk <= 16; ++chunk) {
    CAPTURE(chunk);
    CHECK(ReadAll(kHandshake, chunk) == want);
  }
  CHECK(ReadAll(kHandshake, kHandshake.size()) == want);
}

TEST_CASE("resp requests: cut input waits, garbage fails and stays failed") {
  ra::RespRequestReader r;
  Cmd c;
  r.Feed("*2\r\n$4\r\nAUTH\r\n$6\r\nsec");
  CHECK_FALSE(r.Next(&c));
  CHECK(r.error().empty());
  r.Feed("ret\r\n");
  CHECK(r.Next(&c));
  CHECK(c == Cmd{"AUTH", "secret"});

  ra::RespRequestReader bad;
  bad.Feed("*1\r\n$x\r\nPING\r\n");
  CHECK_FALSE(bad.Next(&c));
  CHECK(bad.error().find("bad length") != std::string::npos);
  bad.Feed("*1\r\n$4\r\nPING\r\n");
  CHECK_FALSE(bad.Next(&c));

  ra::RespRequestReader big;
  big.Feed("*100\r\n");
  CHECK_FALSE(big.Next(&c));
  CHECK(big.error() == "more than 64 arguments");

  ra::RespRequestReader nocrlf;
  nocrlf.Feed("*1\r\n$4\r\nPINGxx");
  CHECK_FALSE(nocrlf.Next(&c));
  CHECK(nocrlf.error() == "an argument not followed by CRLF");
}
