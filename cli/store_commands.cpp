// status, queue, conflicts, export, verify. Waiting for the store.
#include "cli/commands.hpp"

namespace mailsync::cli {

int run_status(const CommandContext&, const StatusArguments&) { not_implemented("status"); }
int run_queue(const CommandContext&, const QueueArguments&) { not_implemented("queue"); }
int run_conflicts(const CommandContext&, const ConflictsArguments&) { not_implemented("conflicts"); }
int run_export(const CommandContext&, const ExportArguments&) { not_implemented("export"); }
int run_verify(const CommandContext&, const VerifyArguments&) { not_implemented("verify"); }

}  // namespace mailsync::cli
