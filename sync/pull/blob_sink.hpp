// Body-section literals streamed into blob files (store/blob_store.hpp), for the downloads of the
// pull (new_messages.hpp) and the completion of partial messages (partial_bodies.hpp). Memory does
// not grow with a message: each literal goes straight from the socket into its own file.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "common/ascii.hpp"
#include "store/blob_store.hpp"
#include "sync/imap/parser.hpp"
#include "sync/imap/response.hpp"
#include "sync/imap/session.hpp"

namespace mailsync::sync {

// One BODY[section] literal → one blob file. The FETCH response that carried it is dispatched right
// after it, so the finished body waits here, by sequence number, only until then. Literals of other
// items (or other sections) are not kept. With a BlobBatch, a finished body goes into it, to be
// made durable with the others before their rows commit; without, each is durable at once.
class BlobSink final : public imap::BodySink {
public:
    // section: "" for BODY[] (the whole message), "HEADER" for BODY[HEADER].
    BlobSink(std::function<store::BlobWriter()> begin_body, std::string section, store::BlobBatch* batch = nullptr)
        : begin_body_(std::move(begin_body)), section_(std::move(section)), batch_(batch) {}

    void begin(const imap::BodyContext& context) override {
        writer_.reset();
        if (wanted(context.item, context.section)) writer_.emplace(begin_body_());
        seq_ = context.seq;
    }
    void write(std::string_view chunk) override {
        if (writer_) writer_->write(chunk);
    }
    void finish() override {
        if (writer_) finished_.insert_or_assign(seq_, done(std::move(*writer_)));
        writer_.reset();
    }
    std::optional<store::StoredBody> take(std::uint32_t seq) {
        auto it = finished_.find(seq);
        if (it == finished_.end()) return std::nullopt;
        store::StoredBody body = it->second;
        finished_.erase(it);
        return body;
    }
    // The section's bytes of this FETCH as a stored body: the streamed literal, or (a short value
    // the server sent as a quoted string) written now; nullopt when the FETCH has none (or NIL).
    std::optional<store::StoredBody> take(const imap::FetchData& fetch) {
        std::optional<store::StoredBody> streamed = take(fetch.seq);
        for (const imap::BodySection& section : fetch.sections) {
            if (section.origin || section.nil || !wanted(section.item, section.section)) continue;
            if (section.streamed) return streamed;
            store::BlobWriter writer = begin_body_();
            writer.write(section.data);
            return done(std::move(writer));
        }
        return std::nullopt;
    }

    bool wanted(std::string_view item, std::string_view section) const {
        return item == "BODY" && ascii::iequals(section, section_);
    }

private:
    store::StoredBody done(store::BlobWriter writer) { return batch_ ? batch_->add(std::move(writer)) : writer.commit(); }

    std::function<store::BlobWriter()> begin_body_;
    std::string section_;
    store::BlobBatch* batch_;
    std::optional<store::BlobWriter> writer_;
    std::uint32_t seq_ = 0;
    std::map<std::uint32_t, store::StoredBody> finished_;
};

// Installs a sink on the session for one scope.
class SinkScope {
public:
    SinkScope(imap::Session& session, imap::BodySink& sink) : session_(session) { session_.set_body_sink(&sink); }
    ~SinkScope() { session_.set_body_sink(nullptr); }
    SinkScope(const SinkScope&) = delete;
    SinkScope& operator=(const SinkScope&) = delete;

private:
    imap::Session& session_;
};

}  // namespace mailsync::sync
