#include "cli/args.h"

namespace itslog {

Result<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                             const std::set<std::string>& with_value,
                             const std::set<std::string>& flags) {
  ParsedArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      out.positional.insert(out.positional.end(), args.begin() + static_cast<long>(i) + 1,
                            args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      out.positional.push_back(a);
      continue;
    }
    size_t eq = a.find('=');
    std::string name = a.substr(0, eq);
    if (with_value.count(name) != 0) {
      if (eq != std::string::npos) {
        out.values[name] = a.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        out.values[name] = args[++i];
      } else {
        return InvalidError("missing_value", "option " + name + " needs a value", name);
      }
    } else if (flags.count(a) != 0) {
      out.flags.insert(a);
    } else {
      return InvalidError("unknown_option", "unknown option " + Quote(a), a);
    }
  }
  return out;
}

}  // namespace itslog
