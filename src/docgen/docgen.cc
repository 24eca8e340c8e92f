#include "docgen/docgen.h"

#include <cctype>

#include "config/config_keys.h"
#include "core/version.h"
#include "docgen/usage.h"

namespace itslog {

namespace {

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// "PATH", "N", "FILE", "NAME": a placeholder; "--config", "fcgi", "jsonl": literal.
bool IsPlaceholder(std::string_view word) {
  bool letter = false;
  for (char c : word) {
    if (std::islower(static_cast<unsigned char>(c)) || c == '-') {
      return false;
    }
    letter = letter || std::isupper(static_cast<unsigned char>(c));
  }
  return letter;
}

bool IsNumber(std::string_view word) {
  for (char c : word) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

std::string Bold(std::string_view text) {
  return "\\fB" + RoffText(text, true) + "\\fR";
}

std::string DefaultText(const ConfigKey& key) {
  if (key.type == ConfigKeyType::kSection) {
    return "";
  }
  if (key.required) {
    return "required";
  }
  if (key.default_value.empty()) {
    return key.type == ConfigKeyType::kString ? "default \\fB\"\"\\fR" : "no default";
  }
  return "default " + Bold(key.default_value);
}

std::string Commands(const std::vector<CommandHelp>& commands) {
  std::string out;
  for (const CommandHelp& c : commands) {
    out += ".TP\n" + RoffUsage(c.usage) + "\n" + RoffText(c.summary) + ".\n";
  }
  return out;
}

std::string Keys() {
  std::string out;
  for (const ConfigKey& key : ConfigKeys()) {
    std::string head = Bold(key.path) + " (" + RoffText(ConfigKeyTypeText(key));
    std::string def = DefaultText(key);
    if (!def.empty()) {
      head += ", " + def;
    }
    out += ".TP\n" + head + ")\n" + RoffText(key.description) + ".\n";
    if (std::string_view var = EnvOverrideFor(key.path); !var.empty()) {
      out += "Replaced by " + Bold(var) + " from the environment.\n";
    }
  }
  return out;
}

std::string SecretKeys() {
  std::string out;
  for (const EnvOnlyKey& key : kEnvOnlyKeys) {
    out += ".TP\n" + Bold(key.path) + "\nA secret, not allowed in the file: set " +
           Bold(key.variable) + " in the environment.\n";
  }
  return out;
}

std::string Environment() {
  std::string out;
  for (const ConfigEnvVar& var : kConfigEnvVars) {
    out += ".TP\n" + Bold(var.name) + "\n" + RoffText(var.description) + ".\n";
  }
  return out;
}

void Replace(std::string* text, std::string_view from, std::string_view to) {
  for (size_t at = text->find(from); at != std::string::npos;
       at = text->find(from, at + to.size())) {
    text->replace(at, from.size(), to);
  }
}

// Single-quoted for bash: words of the command table never hold a quote, but be safe.
std::string Quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool NamesAFile(std::string_view word) {
  return word.find("FILE") != std::string_view::npos ||
         word.find("PATH") != std::string_view::npos || word == "SEAL" || word == "DIR";
}

std::string CommandCompletion(const CommandHelp& command) {
  Usage usage = ParseUsage(command.usage);
  std::string files_case, free_case, opts = "--help";
  std::string choices;
  for (const UsageOption& o : usage.options) {
    opts += " " + o.name;
    if (o.value.empty()) {
      continue;
    }
    if (NamesAFile(o.value)) {
      files_case += (files_case.empty() ? "" : "|") + o.name;
    } else if (o.value.find('|') != std::string::npos && !IsPlaceholder(o.value)) {
      std::string words = o.value;
      Replace(&words, "|", " ");
      choices += "                " + o.name + ")\n                    COMPREPLY=($(compgen -W " +
                 Quoted(words) + " -- \"$cur\"))\n                    return\n" +
                 "                    ;;\n";
    } else {
      free_case += (free_case.empty() ? "" : "|") + o.name;
    }
  }
  bool files = false;
  for (const std::string& p : usage.positional) {
    files = files || NamesAFile(p);
  }
  std::string out = "        " + std::string(command.name) + ")\n            case $prev in\n";
  if (!files_case.empty()) {
    out += "                " + files_case + ")\n                    _filedir\n" +
           "                    return\n                    ;;\n";
  }
  out += choices;
  if (!free_case.empty()) {
    out += "                " + free_case + ")\n                    return\n" +
           "                    ;;\n";
  }
  out += "            esac\n            opts=" + Quoted(opts) + "\n";
  if (files) {
    out += "            files=1\n";
  }
  return out + "            ;;\n";
}

}  // namespace

std::string RoffText(std::string_view text, bool code) {
  std::string out;
  if (!text.empty() && (text.front() == '.' || text.front() == '\'')) {
    out += "\\&";
  }
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-' && code) {
      out += "\\-";
    } else {
      out += c;
    }
  }
  return out;
}

std::string RoffUsage(std::string_view usage) {
  std::string out;
  size_t i = 0;
  while (i < usage.size()) {
    if (!IsWordChar(usage[i])) {
      // Not at a line's start (the line starts with "itslog"): only the backslash is special.
      out += usage[i] == '\\' ? std::string("\\e") : std::string(1, usage[i]);
      ++i;
      continue;
    }
    size_t end = i;
    while (end < usage.size() && IsWordChar(usage[end])) {
      ++end;
    }
    std::string_view word = usage.substr(i, end - i);
    if (IsPlaceholder(word)) {
      out += "\\fI" + RoffText(word, true) + "\\fR";
    } else if (IsNumber(word)) {
      out += word;
    } else {
      out += Bold(word);
    }
    i = end;
  }
  return out;
}

std::string_view EnvOverrideFor(std::string_view key_path) {
  constexpr std::string_view kReplaces = "replaces ";
  for (const ConfigEnvVar& var : kConfigEnvVars) {
    if (var.description.substr(0, kReplaces.size()) != kReplaces) {
      continue;
    }
    std::string_view rest = var.description.substr(kReplaces.size());
    std::string_view named = rest.substr(0, rest.find_first_of(" :,;"));
    if (named.empty()) {
      continue;
    }
    if (key_path == named) {
      return var.name;
    }
    // "replaces key_sha256 of the key named NAME": the last part of a key inside a list.
    size_t dot = key_path.rfind('.');
    if (dot != std::string_view::npos && key_path.substr(dot + 1) == named &&
        key_path.find("[]") != std::string_view::npos) {
      return var.name;
    }
  }
  return {};
}

std::string FillManTemplate(std::string_view tmpl, const std::vector<CommandHelp>& commands) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t end = tmpl.find('\n', i);
    if (end == std::string_view::npos) {
      end = tmpl.size();
    }
    std::string line(tmpl.substr(i, end - i));
    i = end + 1;
    if (line == "@COMMANDS@") {
      out += Commands(commands);
    } else if (line == "@CONFIG_KEYS@") {
      out += Keys();
    } else if (line == "@SECRET_KEYS@") {
      out += SecretKeys();
    } else if (line == "@ENVIRONMENT@") {
      out += Environment();
    } else {
      Replace(&line, "@VERSION@", kVersion);
      out += line + "\n";
    }
  }
  return out;
}

std::string BashCompletion(const std::vector<CommandHelp>& commands) {
  std::string names;
  for (const CommandHelp& c : commands) {
    names += std::string(c.name) + " ";
  }
  std::string out =
      "# bash completion for itslog(1): subcommands and their options. Generated from the\n"
      "# command table by itslog-docgen; do not edit.\n"
      "_itslog()\n"
      "{\n"
      "    local cur prev words cword\n"
      "    _init_completion || return\n"
      "\n"
      "    if ((cword == 1)); then\n"
      "        COMPREPLY=($(compgen -W " +
      Quoted(names + "--help --version") +
      " -- \"$cur\"))\n"
      "        return\n"
      "    fi\n"
      "    local opts='' files=''\n"
      "    case ${words[1]} in\n";
  for (const CommandHelp& c : commands) {
    out += CommandCompletion(c);
  }
  out +=
      "        *)\n"
      "            return\n"
      "            ;;\n"
      "    esac\n"
      "    if [[ $cur == -* || -z $files ]]; then\n"
      "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
      "    else\n"
      "        _filedir\n"
      "    fi\n"
      "} &&\n"
      "    complete -F _itslog itslog\n";
  return out;
}

}  // namespace itslog
