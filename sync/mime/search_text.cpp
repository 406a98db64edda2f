#include "sync/mime/search_text.hpp"


namespace mailsync::mime {
namespace {

class BoundedText {
public:
    explicit BoundedText(std::size_t limit) : limit_(limit) {}

    void add(std::string_view text) {
        if (text.empty() || full()) return;
        if (!text_.empty()) text_ += '\n';
        if (text_.size() + text.size() <= limit_) {
            text_.append(text);
            return;
        }
        // Cut on a character boundary: back up over UTF-8 continuation bytes.
        std::size_t keep = limit_ > text_.size() ? limit_ - text_.size() : 0;
        while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
        text_.append(text.substr(0, keep));
        full_ = true;
    }
    bool full() const { return full_ || text_.size() >= limit_; }
    std::string take() { return std::move(text_); }

private:
    std::size_t limit_;
    std::string text_;
    bool full_ = false;
};

void add_headers(BoundedText& out, const Headers& headers) {
    for (const auto* value : {&headers.from, &headers.to, &headers.cc, &headers.subject}) out.add(*value);
    // The parsed addresses too: a name the header only had encoded, or quoted, is found as written.
    for (const auto* list : {&headers.from_addresses, &headers.to_addresses, &headers.cc_addresses})
        for (const auto& address : *list) out.add(address.name + " " + address.address);
}

}  // namespace

std::string text_for_search(std::string_view raw, const Limits& limits) {
    Limits for_text = limits;
    for_text.measure_sizes = false;
    const Message message = Message::parse(raw, for_text);
    BoundedText out(limits.max_text_bytes);
    add_headers(out, message.headers());
    for (const auto& part : message.parts()) {
        if (out.full()) break;
        if (part.content_type.starts_with("message/")) add_headers(out, message.enclosed_headers(part.section));
        else if (part.content_type.starts_with("text/"))
            if (auto text = message.part_text(part.section)) out.add(*text);
    }
    return out.take();
}

}  // namespace mailsync::mime
