// The store, shared by the pull's worker threads. Store is a single-threaded wrapper (store.hpp):
// no read may run while a write grows the map. This class serialises every transaction, reads
// included, behind one mutex. LMDB is opened with MDB_NOTLS, so a transaction may be begun by any
// thread as long as it is not used by two at once, which the mutex guarantees. Transactions are
// short (one batch of rows) and are never held across network I/O: workers download bodies to
// blob files without the mutex and only take it to commit the rows naming them.
#pragma once

#include <fstream>
#include <mutex>
#include <utility>

#include "store/store.hpp"

namespace mailsync::sync {

class SerializedStore {
public:
    explicit SerializedStore(store::Store& store) : store_(store) {}

    template <class Body>
    auto read(Body&& body) {
        std::lock_guard lock(mutex_);
        return store_.read(std::forward<Body>(body));
    }
    template <class Body>
    auto write(Body&& body) {
        std::lock_guard lock(mutex_);
        return store_.write(std::forward<Body>(body));
    }
    // Body files need no mutex: each writer has its own tmp file, and the rename is atomic.
    store::BlobWriter begin_body() const { return store_.begin_body(); }
    bool has_body(const store::BodyHash& hash) const { return store_.has_body(hash); }
    // Reading a body file needs no mutex either: a body file never changes once named.
    std::ifstream open_body(const store::BodyHash& hash) const { return store_.open_body(hash); }

private:
    store::Store& store_;
    std::mutex mutex_;
};

}  // namespace mailsync::sync
