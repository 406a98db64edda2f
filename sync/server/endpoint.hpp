// Where an account's server is and how to reach it: host, port, TLS mode, the certificates trusted
// (CA file or a pinned SHA-256) and the connect timeout. The engine's names for the transport's
// settings, so that cli/ configures a server without reaching into sync/imap/.
#pragma once

#include "sync/imap/transport.hpp"

namespace mailsync::sync {

using Endpoint = imap::Endpoint;
using TlsMode = imap::TlsMode;
using TlsOptions = imap::TlsOptions;

}  // namespace mailsync::sync
