// list, show, flag, move, copy, delete, append. Waiting for the store and the offline queue.
#include "cli/commands.hpp"

namespace mailsync::cli {

int run_list(const CommandContext&, const ListArguments&) { not_implemented("list"); }
int run_show(const CommandContext&, const ShowArguments&) { not_implemented("show"); }
int run_flag(const CommandContext&, const FlagArguments&) { not_implemented("flag"); }
int run_move(const CommandContext&, const MoveArguments&) { not_implemented("move"); }
int run_copy(const CommandContext&, const CopyArguments&) { not_implemented("copy"); }
int run_delete(const CommandContext&, const DeleteArguments&) { not_implemented("delete"); }
int run_append(const CommandContext&, const AppendArguments&) { not_implemented("append"); }

}  // namespace mailsync::cli
