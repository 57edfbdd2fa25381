// What a plain pg_dump statement does, read from its first words (PostgreSQL lexical rules:
// unquoted names fold to lower case, "quoted" ones keep theirs). Pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "protocols/statement.h"

namespace ra {

StatementInfo ClassifyPgStatement(std::string_view text);

// For `SET [SESSION|LOCAL] standard_conforming_strings = on|off` the new value, else nothing.
std::optional<bool> PgStandardConformingStrings(std::string_view text);

}  // namespace ra
