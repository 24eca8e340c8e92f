// The man pages itslog(1) and itslog.yaml(5) and the bash completion, generated from the
// command table (cli/cli.h) and the configuration keys (config/config_keys.h), so that a new
// subcommand, option or key shows up in them without further editing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/cli.h"

namespace itslog {

// Text for a roff input line: backslashes escaped, a leading '.' or '\'' made literal. With
// `code`, '-' becomes "\-" (a minus sign, so that options can be copied from the page).
std::string RoffText(std::string_view text, bool code = false);

// A usage line in roff: options and literal words bold, placeholders (upper-case words)
// italic, brackets and '|' as they are.
std::string RoffUsage(std::string_view usage);

// A man page template filled in: "@VERSION@" anywhere becomes the version; a line that is
// exactly "@COMMANDS@" (each command: usage and summary), "@CONFIG_KEYS@" (each key: type,
// default, the ITSLOG_* variable replacing it, description), "@SECRET_KEYS@" (the keys
// only the environment may set) or "@ENVIRONMENT@" (the ITSLOG_* variables) becomes that
// list.
std::string FillManTemplate(std::string_view tmpl, const std::vector<CommandHelp>& commands);

// A bash completion script for `itslog`: subcommands, their options, the words an option
// accepts (`--format jsonl|csv`), file names where a value or argument is a file.
std::string BashCompletion(const std::vector<CommandHelp>& commands);

// The ITSLOG_* variable whose description says it "replaces <key>" (data_dir,
// auth.keys[].key_sha256 by its last part), or empty.
std::string_view EnvOverrideFor(std::string_view key_path);

}  // namespace itslog
