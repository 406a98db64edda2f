// flag, move, copy, delete, append, mkdir, rename, rmdir, queue, conflicts: local changes, made to
// the mirror at once and queued for replay.
#include "cli/commands.hpp"

namespace mailsync::cli {

int run_flag(const CommandContext&, const FlagArguments&) { not_implemented("flag"); }
int run_move(const CommandContext&, const MoveArguments&) { not_implemented("move"); }
int run_copy(const CommandContext&, const CopyArguments&) { not_implemented("copy"); }
int run_delete(const CommandContext&, const DeleteArguments&) { not_implemented("delete"); }
int run_append(const CommandContext&, const AppendArguments&) { not_implemented("append"); }
int run_mkdir(const CommandContext&, const MkdirArguments&) { not_implemented("mkdir"); }
int run_rename(const CommandContext&, const RenameArguments&) { not_implemented("rename"); }
int run_rmdir(const CommandContext&, const RmdirArguments&) { not_implemented("rmdir"); }
int run_queue(const CommandContext&, const QueueArguments&) { not_implemented("queue"); }
int run_conflicts(const CommandContext&, const ConflictsArguments&) { not_implemented("conflicts"); }

}  // namespace mailsync::cli
