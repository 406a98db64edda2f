// mailboxes, mkdir, rename, rmdir. Waiting for the store and the offline queue.
#include "cli/commands.hpp"

namespace mailsync::cli {

int run_mailboxes(const CommandContext&, const MailboxesArguments&) { not_implemented("mailboxes"); }
int run_mkdir(const CommandContext&, const MkdirArguments&) { not_implemented("mkdir"); }
int run_rename(const CommandContext&, const RenameArguments&) { not_implemented("rename"); }
int run_rmdir(const CommandContext&, const RmdirArguments&) { not_implemented("rmdir"); }

}  // namespace mailsync::cli
