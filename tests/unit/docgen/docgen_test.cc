#include "docgen/docgen.h"

#include <gtest/gtest.h>

#include "config/config_keys.h"
#include "core/version.h"

namespace itslog {
namespace {

const std::vector<CommandHelp> kTable = {
    {"verify", "itslog verify FILE|DAY... [--seal SEAL] [--config PATH]", "re-check day files"},
    {"export", "itslog export DAY [--format jsonl|csv] [-n N] [--no-header]", "write a day"},
};

TEST(DocgenTest, RoffTextEscapes) {
  EXPECT_EQ(RoffText("a\\b"), "a\\eb");
  EXPECT_EQ(RoffText(".starts with a dot"), "\\&.starts with a dot");
  EXPECT_EQ(RoffText("'quote"), "\\&'quote");
  EXPECT_EQ(RoffText("re-check"), "re-check");
  EXPECT_EQ(RoffText("--config", true), "\\-\\-config");
}

TEST(DocgenTest, RoffUsageMarksOptionsAndPlaceholders) {
  EXPECT_EQ(RoffUsage("itslog stats [DAY] [--top N (10)]"),
            "\\fBitslog\\fR \\fBstats\\fR [\\fIDAY\\fR] [\\fB\\-\\-top\\fR \\fIN\\fR (10)]");
}

TEST(DocgenTest, ManTemplateListsCommandsKeysAndVariables) {
  std::string page = FillManTemplate(
      ".TH X 1 \"\" \"itslog @VERSION@\"\n.SH COMMANDS\n@COMMANDS@\n.SH KEYS\n@CONFIG_KEYS@\n"
      "@SECRET_KEYS@\n.SH ENVIRONMENT\n@ENVIRONMENT@\n",
      kTable);
  EXPECT_NE(page.find(std::string("\"itslog ") + kVersion + "\""), std::string::npos) << page;
  EXPECT_NE(page.find(".TP\n\\fBitslog\\fR \\fBverify\\fR \\fIFILE\\fR|\\fIDAY\\fR... "
                      "[\\fB\\-\\-seal\\fR \\fISEAL\\fR]"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("re-check day files.\n"), std::string::npos);
  for (const ConfigKey& key : ConfigKeys()) {
    std::string name = "\\fB" + RoffText(key.path, true) + "\\fR (";
    EXPECT_NE(page.find(".TP\n" + name), std::string::npos) << key.path;
  }
  EXPECT_NE(page.find("\\fBlimits.max_batch\\fR (integer 1..2147483647, default \\fB10000\\fR)\n"
                      "most events in one batch (413 above).\n"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("\\fBdata_dir\\fR (string, required)\n"), std::string::npos);
  EXPECT_NE(page.find("\\fBlimits\\fR (section)\n"), std::string::npos);
  EXPECT_NE(page.find("\\fBs3.bucket\\fR (string, default \\fB\"\"\\fR)\n"), std::string::npos);
  EXPECT_NE(page.find("Replaced by \\fBITSLOG_DATA_DIR\\fR from the environment."),
            std::string::npos);
  for (const EnvOnlyKey& key : kEnvOnlyKeys) {
    EXPECT_NE(page.find(RoffText(key.variable, true)), std::string::npos) << key.path;
  }
  for (const ConfigEnvVar& var : kConfigEnvVars) {
    EXPECT_NE(page.find(".TP\n\\fB" + RoffText(var.name, true) + "\\fR\n"), std::string::npos)
        << var.name;
  }
  EXPECT_EQ(page.find('@'), std::string::npos) << page;
}

TEST(DocgenTest, EnvironmentOverridesFoundByDescription) {
  EXPECT_EQ(EnvOverrideFor("data_dir"), "ITSLOG_DATA_DIR");
  EXPECT_EQ(EnvOverrideFor("auth.required"), "ITSLOG_AUTH_REQUIRED");
  EXPECT_EQ(EnvOverrideFor("s3.endpoint"), "ITSLOG_S3_ENDPOINT");
  EXPECT_EQ(EnvOverrideFor("auth.keys[].key_sha256"), "ITSLOG_KEY_<NAME>_SHA256");
  EXPECT_EQ(EnvOverrideFor("timezone"), "");
  EXPECT_EQ(EnvOverrideFor("auth"), "");
}

TEST(DocgenTest, BashCompletionPerCommand) {
  std::string script = BashCompletion(kTable);
  EXPECT_NE(script.find("compgen -W 'verify export --help --version'"), std::string::npos)
      << script;
  EXPECT_NE(script.find("        verify)\n            case $prev in\n"
                        "                --seal|--config)\n                    _filedir\n"),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("opts='--help --seal --config'\n            files=1\n"), std::string::npos)
      << script;
  EXPECT_NE(script.find("                --format)\n"
                        "                    COMPREPLY=($(compgen -W 'jsonl csv' -- \"$cur\"))\n"),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("                -n)\n                    return\n"), std::string::npos);
  EXPECT_NE(script.find("opts='--help --format -n --no-header'\n            ;;"), std::string::npos)
      << script;
  EXPECT_NE(script.find("complete -F _itslog itslog"), std::string::npos);
}

}  // namespace
}  // namespace itslog
