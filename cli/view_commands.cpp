// status, mailboxes, list, show: views of the mirror, read from the store without the network.
#include "cli/commands.hpp"

namespace mailsync::cli {

int run_status(const CommandContext&, const StatusArguments&) { not_implemented("status"); }
int run_mailboxes(const CommandContext&, const MailboxesArguments&) { not_implemented("mailboxes"); }
int run_list(const CommandContext&, const ListArguments&) { not_implemented("list"); }
int run_show(const CommandContext&, const ShowArguments&) { not_implemented("show"); }

}  // namespace mailsync::cli
