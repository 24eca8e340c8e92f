// itslog: one binary, many subcommands (see `itslog --help`).
#include "cli/cli.h"
#include "core/env.h"

int main(int argc, char** argv) {
  itslog::PosixEnv env;
  return itslog::RunCli(argc, argv, &env);
}
