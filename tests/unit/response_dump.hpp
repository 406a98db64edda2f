// A canonical, complete text form of a parsed Response, so that tests can compare two parses
// (whole input vs. split input) field by field without operator== on every type.
#pragma once

#include <string>

#include "sync/imap/response.hpp"

namespace mailsync::imap::test {

std::string dump(const Response& response);

}  // namespace mailsync::imap::test
