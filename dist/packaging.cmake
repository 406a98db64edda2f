# The .deb: `cpack -G DEB` in the build dir packs what `cmake --install` puts under /usr, with the
# dependencies dpkg-shlibdeps finds from the binary's shared libraries (libssl3, liblmdb0, ...),
# and libcurl4, which it cannot find.
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "mailsync")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "offline-first IMAP mailbox synchronization")
set(CPACK_PACKAGE_DESCRIPTION "mailsync mirrors IMAP accounts into a local LMDB store, learns what changed
on the server from CONDSTORE/QRESYNC, queues changes made while offline and replays them exactly
once when the server is back. Includes man pages, shell completions and systemd user units.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")  # mailsync_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION "mail")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "mailsync developers <mailsync@localhost>")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libcurl is dlopen'ed (sync/auth/curl_library.hpp), so dpkg-shlibdeps cannot see it: named here,
# with the oldest version it accepts (CURLOPT_PROTOCOLS_STR). CPack appends shlibdeps' list to it.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcurl4 (>= 7.85.0)")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")  # the system trust store for tls: implicit
include(CPack)
