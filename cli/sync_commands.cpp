// sync and watch. The engine in sync/ does not exist yet: these say so rather than pretend.
#include "cli/commands.hpp"

namespace mailsync::cli {

int run_sync(const CommandContext&, const SyncArguments&) { not_implemented("sync"); }
int run_watch(const CommandContext&, const WatchArguments&) { not_implemented("watch"); }

}  // namespace mailsync::cli
