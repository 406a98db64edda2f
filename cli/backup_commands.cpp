// export, verify: for backup pipelines.
#include "cli/commands.hpp"

namespace mailsync::cli {

int run_export(const CommandContext&, const ExportArguments&) { not_implemented("export"); }
int run_verify(const CommandContext&, const VerifyArguments&) { not_implemented("verify"); }

}  // namespace mailsync::cli
