#include "protocols/dump_format.h"

#include <doctest/doctest.h>

using ra::DetectDumpKind;
using ra::DumpKind;
using ra::FindCompletionTrailer;

TEST_CASE("recognises dump kinds from their first bytes") {
  CHECK(DetectDumpKind("/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19") ==
        DumpKind::kMysqlDump);
  CHECK(DetectDumpKind("-- MySQL dump 10.13  Distrib 8.0.36") == DumpKind::kMysqlDump);
  CHECK(DetectDumpKind("--\n-- PostgreSQL database dump\n--\n") == DumpKind::kPostgresDump);
  CHECK(DetectDumpKind("--\n-- PostgreSQL database cluster dump\n--\n") ==
        DumpKind::kPostgresClusterDump);
  CHECK(DetectDumpKind("REDIS0011\xfa\x09redis-ver") == DumpKind::kRdb);
  CHECK(DetectDumpKind("SELECT 1;") == DumpKind::kUnknown);
  CHECK(DetectDumpKind("") == DumpKind::kUnknown);
}

TEST_CASE("finds completion trailers only at line starts") {
  CHECK(FindCompletionTrailer(DumpKind::kMysqlDump,
                              "UNLOCK TABLES;\n\n-- Dump completed on 2026-11-24  6:30:01\n") ==
        "-- Dump completed on 2026-11-24  6:30:01");
  CHECK(FindCompletionTrailer(DumpKind::kMysqlDump, "INSERT 'x -- Dump completed' ;\n").empty());
  CHECK(FindCompletionTrailer(DumpKind::kMysqlDump, "-- Dump completed").size() == 17);
  CHECK(FindCompletionTrailer(DumpKind::kPostgresDump,
                              "\n--\n-- PostgreSQL database dump complete\n--\n\n") ==
        "-- PostgreSQL database dump complete");
  CHECK(FindCompletionTrailer(DumpKind::kPostgresClusterDump,
                              "-- PostgreSQL database dump complete\n")
            .empty());
}
