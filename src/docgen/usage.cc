#include "docgen/usage.h"

namespace itslog {

namespace {

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    if (end > i) {
      out.emplace_back(text.substr(i, end - i));
    }
    i = end + 1;
  }
  return out;
}

std::string StripBrackets(std::string word) {
  while (!word.empty() && word.front() == '[') {
    word.erase(0, 1);
  }
  while (!word.empty() && word.back() == ']') {
    word.pop_back();
  }
  return word;
}

}  // namespace

Usage ParseUsage(std::string_view usage) {
  Usage out;
  std::vector<std::string> words = Words(usage);
  // words[0] is "itslog", words[1] the command.
  for (size_t i = 2; i < words.size(); ++i) {
    const std::string& word = words[i];
    std::string bare = StripBrackets(word);
    if (bare.empty() || bare.front() == '(') {
      continue;  // "(4)]": the default of the value before it
    }
    if (bare.front() != '-') {
      out.positional.push_back(word);
      continue;
    }
    // An option takes a value when its word does not close a bracket and the next word is
    // neither an option nor a default.
    std::string value;
    bool closes = word.back() == ']';
    if (!closes && i + 1 < words.size()) {
      std::string next = StripBrackets(words[i + 1]);
      if (!next.empty() && next.front() != '-' && next.front() != '(') {
        value = next;
        ++i;
      }
    }
    size_t start = 0;
    while (start <= bare.size()) {
      size_t bar = bare.find('|', start);
      if (bar == std::string::npos) {
        bar = bare.size();
      }
      out.options.push_back({bare.substr(start, bar - start), value});
      start = bar + 1;
    }
  }
  return out;
}

}  // namespace itslog
