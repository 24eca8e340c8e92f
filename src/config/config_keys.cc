#include "config/config_keys.h"

namespace itslog {

namespace {

// Words of a "a|b|c" list joined for people: "a | b | c".
std::string Choices(std::string_view choices) {
  std::string out;
  for (char c : choices) {
    if (c == '|') {
      out += " | ";
    } else {
      out += c;
    }
  }
  return out;
}

// Escapes '|' so that a cell cannot break a Markdown table.
std::string Cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

const ConfigKey* FindConfigKey(std::string_view path) {
  for (const ConfigKey& key : kConfigKeys) {
    if (key.path == path) {
      return &key;
    }
  }
  return nullptr;
}

std::string ConfigKeyTypeText(const ConfigKey& key) {
  switch (key.type) {
    case ConfigKeyType::kSection:
      return "section";
    case ConfigKeyType::kKeyList:
      return "list of keys";
    case ConfigKeyType::kString:
      return "string";
    case ConfigKeyType::kInteger:
      return "integer " + std::to_string(key.min) + ".." + std::to_string(key.max);
    case ConfigKeyType::kBool:
      return "true | false";
    case ConfigKeyType::kChoice:
      return Choices(key.choices);
    case ConfigKeyType::kStringList:
      return key.choices.empty() ? "list of strings" : "list of " + Choices(key.choices);
  }
  return "";
}

std::string ConfigKeysMarkdown() {
  std::string out =
      "| key | type | default | description |\n"
      "|---|---|---|---|\n";
  for (const ConfigKey& key : kConfigKeys) {
    std::string def = key.required ? "(required)"
                      : key.default_value.empty()
                          ? (key.type == ConfigKeyType::kString ? "\"\"" : "")
                          : std::string(key.default_value);
    if (key.type == ConfigKeyType::kSection) {
      def.clear();
    }
    out += "| `" + std::string(key.path) + "` | " + Cell(ConfigKeyTypeText(key)) + " | " +
           (def.empty() ? "" : "`" + Cell(def) + "`") + " | " + Cell(key.description) + " |\n";
  }
  for (const EnvOnlyKey& key : kEnvOnlyKeys) {
    out += "| `" + std::string(key.path) + "` | not allowed | | a secret: set `" +
           std::string(key.variable) + "` instead |\n";
  }
  out +=
      "\n"
      "| environment variable | what it does |\n"
      "|---|---|\n";
  for (const ConfigEnvVar& var : kConfigEnvVars) {
    out += "| `" + std::string(var.name) + "` | " + Cell(var.description) + " |\n";
  }
  return out;
}

}  // namespace itslog
