// Parser: the framer and the grammar behind the public interface, plus the "dead after an
// error" rule: once the stream is out of step nothing after it can be trusted.
#include "sync/imap/parser.hpp"

#include "common/error.hpp"
#include "sync/imap/framer.hpp"
#include "sync/imap/grammar.hpp"

namespace mailsync::imap {

struct Parser::Impl {
    explicit Impl(ParserLimits limits) : framer(limits) {}

    detail::Framer framer;
    std::optional<Error> failure;

    void throw_if_failed() const {
        if (failure) throw *failure;
    }
};

Parser::Parser(ParserLimits limits) : impl_(std::make_unique<Impl>(limits)) {}
Parser::~Parser() = default;
Parser::Parser(Parser&&) noexcept = default;
Parser& Parser::operator=(Parser&&) noexcept = default;

void Parser::feed(std::string_view bytes) {
    if (!impl_) throw Error(ErrorCategory::internal, "IMAP parser used after being moved from");
    impl_->throw_if_failed();
    impl_->framer.feed(bytes);
}

std::optional<Response> Parser::next() {
    if (!impl_) throw Error(ErrorCategory::internal, "IMAP parser used after being moved from");
    impl_->throw_if_failed();
    try {
        auto frame = impl_->framer.next();
        if (!frame) return std::nullopt;
        return detail::parse_response(*frame);
    } catch (const Error& error) {
        impl_->failure = error;
        throw;
    } catch (const std::exception& error) {
        // Out of memory, or a sink throwing something else: the stream position is lost either way.
        impl_->failure = Error(ErrorCategory::internal,
                               std::string("IMAP parser stopped: ") + error.what());
        throw;
    }
}

void Parser::set_body_sink(BodySink* sink) {
    if (impl_) impl_->framer.set_body_sink(sink);
}

std::size_t Parser::buffered() const {
    return impl_ ? impl_->framer.buffered() : 0;
}

std::string Parser::take_unread() { return impl_ ? impl_->framer.take_unread() : std::string{}; }

}  // namespace mailsync::imap
