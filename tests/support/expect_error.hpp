#pragma once
// The mailsync::Error an action must throw.

#include <functional>
#include <string>

#include <catch2/catch.hpp>

#include "common/error.hpp"

namespace mailsync::test {

// The error `action` throws (it must throw a mailsync::Error of category `expected`, with a
// message that says something); its message.
inline std::string error_of(ErrorCategory expected, const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& error) {
        CHECK(error.category() == expected);
        CHECK(std::string(error.what()).size() > 10);
        return error.what();
    }
    FAIL("no error thrown");
    return {};
}

}  // namespace mailsync::test
