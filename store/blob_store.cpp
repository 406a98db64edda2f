#include "store/blob_store.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <exception>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/error.hpp"

namespace mailsync::store {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t read_chunk = 1u << 16;
// A tmp file whose pid was reused by an unrelated process is still removed after this long.
constexpr std::chrono::hours tmp_file_max_age{24};

fs::path fan_out_directory(const fs::path& bodies, const std::string& hex) { return bodies / hex.substr(0, 2); }

// fsyncs issued at the same time are one journal commit for ext4 and XFS: measured on the 2-core
// development machine (ext4 on a virtual disk, loaded), 64 bodies of 12 kB cost 2-5 ms each with
// an fsync of the file and one of its directory each, 0.2-0.5 ms each with 8-16 at a time.
constexpr std::size_t parallel_syncs = 16;

// Runs work(i) for i in [0, n) on up to parallel_syncs threads; the first exception is rethrown
// once all are done.
void run_in_parallel(std::size_t n, const std::function<void(std::size_t)>& work) {
    if (n == 0) return;
    if (n == 1) {
        work(0);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    const auto drain = [&] {
        for (std::size_t i = next++; i < n; i = next++) {
            try {
                work(i);
            } catch (...) {
                std::lock_guard lock(failure_mutex);
                if (!failure) failure = std::current_exception();
            }
        }
    };
    std::vector<std::thread> threads;
    const std::size_t helpers = std::min(n, parallel_syncs) - 1;
    threads.reserve(helpers);
    for (std::size_t t = 0; t < helpers; ++t) threads.emplace_back(drain);
    drain();
    for (auto& thread : threads) thread.join();
    if (failure) std::rethrow_exception(failure);
}

std::chrono::seconds age_of(const struct stat& status) {
    return std::chrono::seconds(unix_time_now() - status.st_mtim.tv_sec);
}

// tmp names are "<pid>.<n>.tmp": the writer's pid says whether it can still be writing.
bool writer_is_gone(const std::string& name) {
    int pid = 0;
    auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (error != std::errc() || pid <= 0) return true;
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

// ---- BlobWriter ----------------------------------------------------------------------------------

BlobWriter::BlobWriter(fs::path bodies, fs::path tmp_file, FileDescriptor fd, std::shared_ptr<BodyUsageDelta> delta)
    : bodies_(std::move(bodies)), tmp_file_(std::move(tmp_file)), fd_(std::move(fd)), delta_(std::move(delta)) {}

BlobWriter::BlobWriter(BlobWriter&&) noexcept = default;

BlobWriter& BlobWriter::operator=(BlobWriter&& other) noexcept {
    if (this != &other) {
        discard();
        bodies_ = std::move(other.bodies_);
        tmp_file_ = std::move(other.tmp_file_);
        fd_ = std::move(other.fd_);
        hasher_ = std::move(other.hasher_);
        size_ = other.size_;
        finished_ = other.finished_;
        delta_ = std::move(other.delta_);
    }
    return *this;
}

BlobWriter::~BlobWriter() { discard(); }

void BlobWriter::discard() noexcept {
    if (!fd_) return;
    fd_.close();
    ::unlink(tmp_file_.c_str());
}

void BlobWriter::write(std::string_view chunk) {
    if (!fd_ || finished_) throw Error(ErrorCategory::internal, "BlobWriter::write after commit");
    write_all(fd_.get(), chunk, tmp_file_);
    hasher_.update(chunk);
    size_ += chunk.size();
}

StoredBody BlobWriter::commit() {
    const StoredBody body = finish();
    sync_content();
    sync_directory(publish());
    return body;
}

StoredBody BlobWriter::finish() {
    if (!fd_) throw Error(ErrorCategory::internal, "BlobWriter::commit twice");
    if (!finished_) finished_ = StoredBody{hasher_.finish(), size_};
    return *finished_;
}

void BlobWriter::sync_content() const { sync_file(fd_.get(), tmp_file_); }

fs::path BlobWriter::publish() {
    const std::string hex = finished_->hash.hex();
    fs::path directory = fan_out_directory(bodies_, hex);
    if (::mkdir(directory.c_str(), 0700) == 0) {
        sync_directory(bodies_);
    } else if (errno != EEXIST) {
        throw_io("create directory", directory);
    }
    fs::path final_path = directory / hex.substr(2);
    const bool existed = ::access(final_path.c_str(), F_OK) == 0;   // the same content stored before
    if (::rename(tmp_file_.c_str(), final_path.c_str()) != 0) throw_io("rename body file to", final_path);
    if (!existed && delta_) {
        delta_->files += 1;
        delta_->bytes += static_cast<std::int64_t>(size_);
    }
    fd_.close();   // renamed: nothing left to discard
    return directory;
}

// ---- BlobBatch -----------------------------------------------------------------------------------

StoredBody BlobBatch::add(BlobWriter writer) {
    const StoredBody body = writer.finish();
    writers_.push_back(std::move(writer));
    return body;
}

void BlobBatch::commit() {
    if (writers_.empty()) return;
    // Whatever fails, no body of the batch may be taken as durable: all of them are given up
    // (tmp files removed; a body already renamed stays as an orphan for the sweep).
    std::vector<BlobWriter> writers = std::move(writers_);
    writers_.clear();
    run_in_parallel(writers.size(), [&](std::size_t i) { writers[i].sync_content(); });
    std::set<fs::path> directories;
    for (auto& writer : writers) directories.insert(writer.publish());
    const std::vector<fs::path> list(directories.begin(), directories.end());
    run_in_parallel(list.size(), [&](std::size_t i) { sync_directory(list[i]); });
}

// ---- BlobStore -----------------------------------------------------------------------------------

BlobStore::BlobStore(fs::path store_directory)
    : bodies_(store_directory / "bodies"), tmp_(store_directory / "tmp"), mark_(store_directory / "sweep-due") {
    make_private_directory(bodies_);
    make_private_directory(tmp_);
}

BlobWriter BlobStore::begin() const {
    if (!marked_->exchange(true)) {
        open_private_file(mark_, 0);
        sync_directory(mark_.parent_path());
    }
    static std::atomic<std::uint64_t> counter{0};
    fs::path file = tmp_ / fmt::format("{}.{}.tmp", ::getpid(), counter.fetch_add(1));
    FileDescriptor fd = open_private_file(file, O_TRUNC);
    return BlobWriter(bodies_, std::move(file), std::move(fd), delta_);
}

StoredBody BlobStore::put(std::string_view content) const {
    BlobWriter writer = begin();
    writer.write(content);
    return writer.commit();
}

fs::path BlobStore::path_of(const BodyHash& hash) const {
    std::string hex = hash.hex();
    return fan_out_directory(bodies_, hex) / hex.substr(2);
}

bool BlobStore::exists(const BodyHash& hash) const {
    struct stat status {};
    return ::stat(path_of(hash).c_str(), &status) == 0 && S_ISREG(status.st_mode);
}

BodyCheck BlobStore::check(const BodyHash& hash) const {
    fs::path file = path_of(hash);
    FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return BodyCheck::missing;
        throw_io("open", file);
    }
    Sha256 hasher;
    std::array<char, read_chunk> buffer{};
    for (;;) {
        ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
        if (got < 0) {
            if (errno == EINTR) continue;
            throw_io("read", file);
        }
        if (got == 0) break;
        hasher.update(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
    }
    return hasher.finish() == hash ? BodyCheck::ok : BodyCheck::mismatch;
}

void BlobStore::for_each(const std::function<void(const BodyHash&)>& visit) const {
    std::error_code error;
    for (const auto& fan_out : fs::directory_iterator(bodies_, error)) {
        if (!fan_out.is_directory()) continue;
        for (const auto& file : fs::directory_iterator(fan_out.path(), error)) {
            auto hash = BodyHash::from_hex(fan_out.path().filename().string() + file.path().filename().string());
            if (hash) visit(*hash);
        }
        if (error) throw Error(ErrorCategory::io, fmt::format("cannot list {}: {}", fan_out.path().string(), error.message()));
    }
    if (error) throw Error(ErrorCategory::io, fmt::format("cannot list {}: {}", bodies_.string(), error.message()));
}

BodyUsage BlobStore::usage() const {
    BodyUsage usage;
    for_each([&](const BodyHash& hash) {
        struct stat status {};
        if (::stat(path_of(hash).c_str(), &status) != 0) return;
        ++usage.files;
        usage.bytes += static_cast<std::uint64_t>(status.st_size);
    });
    return usage;
}

void BlobStore::remove_if_orphan(const BodyHash& hash, const std::function<bool(const BodyHash&)>& is_referenced,
                                 std::chrono::seconds min_age, SweepReport& report) const {
    if (is_referenced(hash)) return;
    fs::path file = path_of(hash);
    struct stat status {};
    if (::stat(file.c_str(), &status) != 0) return;
    if (age_of(status) < min_age) {
        report.young_orphans.push_back(hash);
        return;
    }
    if (::unlink(file.c_str()) != 0) throw_io("remove orphan body", file);
    delta_->files -= 1;
    delta_->bytes -= static_cast<std::int64_t>(status.st_size);
    ++report.orphan_bodies;
    report.orphan_bytes += static_cast<std::uint64_t>(status.st_size);
}

SweepReport BlobStore::sweep(const std::vector<BodyHash>& candidates,
                             const std::function<bool(const BodyHash&)>& is_referenced, std::chrono::seconds min_age) const {
    SweepReport report;
    for (const auto& hash : candidates) remove_if_orphan(hash, is_referenced, min_age, report);
    return report;
}

void BlobStore::take_usage_delta(std::int64_t& files, std::int64_t& bytes) const {
    files = delta_->files.exchange(0);
    bytes = delta_->bytes.exchange(0);
}

void BlobStore::give_back_usage_delta(std::int64_t files, std::int64_t bytes) const {
    delta_->files += files;
    delta_->bytes += bytes;
}

bool BlobStore::marked() const { return ::access(mark_.c_str(), F_OK) == 0; }

void BlobStore::clear_mark() const {
    if (::unlink(mark_.c_str()) != 0 && errno != ENOENT) throw_io("remove the sweep mark", mark_);
    marked_->store(false);
}

SweepReport BlobStore::sweep(const std::function<bool(const BodyHash&)>& is_referenced,
                             std::chrono::seconds min_age) const {
    SweepReport report;
    std::vector<BodyHash> orphans;
    for_each([&](const BodyHash& hash) {
        if (!is_referenced(hash)) orphans.push_back(hash);
    });
    for (const auto& hash : orphans) remove_if_orphan(hash, [](const BodyHash&) { return false; }, min_age, report);
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(tmp_, error)) {
        std::string name = entry.path().filename().string();
        struct stat status {};
        if (::stat(entry.path().c_str(), &status) != 0) continue;
        if (!writer_is_gone(name) && age_of(status) < tmp_file_max_age) continue;
        if (::unlink(entry.path().c_str()) != 0) throw_io("remove stale tmp file", entry.path());
        ++report.stale_tmp_files;
    }
    if (error) throw Error(ErrorCategory::io, fmt::format("cannot list {}: {}", tmp_.string(), error.message()));
    return report;
}

}  // namespace mailsync::store
