// itslog-docgen: writes the generated documentation to stdout (see docgen.h).
//   itslog-docgen man TEMPLATE      a man page from its template (man/*.in)
//   itslog-docgen bash-completion   the bash completion script
//   itslog-docgen config-markdown   the configuration tables of docs/OPERATIONS.md
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/cli.h"
#include "config/config_keys.h"
#include "docgen/docgen.h"

int main(int argc, char** argv) {
  std::string what = argc > 1 ? argv[1] : "";
  std::string text;
  if (what == "man" && argc == 3) {
    std::ifstream in(argv[2]);
    if (!in) {
      std::fprintf(stderr, "itslog-docgen: cannot read %s\n", argv[2]);
      return 1;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    text = itslog::FillManTemplate(buffer.str(), itslog::CommandHelps());
  } else if (what == "bash-completion" && argc == 2) {
    text = itslog::BashCompletion(itslog::CommandHelps());
  } else if (what == "config-markdown" && argc == 2) {
    text = itslog::ConfigKeysMarkdown();
  } else {
    std::fprintf(stderr, "usage: itslog-docgen man TEMPLATE | bash-completion | config-markdown\n");
    return 2;
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}
