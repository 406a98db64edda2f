# Runs inside `cmake --install` (install(SCRIPT) in dist/CMakeLists.txt), when CMAKE_INSTALL_PREFIX
# is the prefix really installed into. Fills the installed paths into the man pages and the systemd
# units, and picks zsh's directory. file(INSTALL) adds $DESTDIR in front, as for every other file.

# A relative directory of GNUInstallDirs under the prefix; an absolute one as it is.
function(mailsync_installed_path variable directory)
  if(IS_ABSOLUTE "${directory}")
    set(${variable} "${directory}" PARENT_SCOPE)
  else()
    set(${variable} "${CMAKE_INSTALL_PREFIX}/${directory}" PARENT_SCOPE)
  endif()
endfunction()

mailsync_installed_path(bin_dir "${MAILSYNC_BINDIR}")
mailsync_installed_path(man_dir "${MAILSYNC_MANDIR}")
mailsync_installed_path(MAILSYNC_DOC_DIR "${MAILSYNC_DOCDIR}")
mailsync_installed_path(MAILSYNC_UNIT_DIR "${MAILSYNC_UNITDIR}")
mailsync_installed_path(data_dir "${MAILSYNC_DATADIR}")
set(MAILSYNC_BINARY "${bin_dir}/mailsync")

foreach(page man/mailsync.1 man/mailsync.yaml.5 systemd/mailsync-sync.service systemd/mailsync-watch.service
             systemd/mailsync@.service)
  configure_file("${MAILSYNC_DIST_DIR}/${page}.in" "${MAILSYNC_STAGE_DIR}/${page}" @ONLY)
endforeach()
file(INSTALL DESTINATION "${man_dir}/man1" TYPE FILE FILES "${MAILSYNC_STAGE_DIR}/man/mailsync.1")
file(INSTALL DESTINATION "${man_dir}/man5" TYPE FILE FILES "${MAILSYNC_STAGE_DIR}/man/mailsync.yaml.5")
file(INSTALL DESTINATION "${MAILSYNC_UNIT_DIR}" TYPE FILE FILES
     "${MAILSYNC_STAGE_DIR}/systemd/mailsync-sync.service" "${MAILSYNC_STAGE_DIR}/systemd/mailsync-watch.service"
     "${MAILSYNC_DIST_DIR}/systemd/mailsync-sync.timer"
     "${MAILSYNC_STAGE_DIR}/systemd/mailsync@.service" "${MAILSYNC_DIST_DIR}/systemd/mailsync@.timer")

# zsh looks in $prefix/share/zsh/site-functions; Debian's zsh, for packages under /usr, in
# /usr/share/zsh/vendor-completions (and /usr/local/share/zsh/site-functions for the rest).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(zsh_dir "${data_dir}/zsh/vendor-completions")
else()
  set(zsh_dir "${data_dir}/zsh/site-functions")
endif()
file(INSTALL DESTINATION "${zsh_dir}" TYPE FILE FILES "${MAILSYNC_DIST_DIR}/completions/_mailsync")
