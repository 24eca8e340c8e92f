// docs/openapi.yaml against the router: every path and method the description names is served,
// and every method the router serves on those paths is described. Run from the repository root
// (as `make test` does).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

#include "http/router.h"

namespace itslog {
namespace {

constexpr const char* kSpecPath = "docs/openapi.yaml";

// Fills {name} placeholders with values the router accepts as path segments.
std::string Concrete(const std::string& templ) {
  std::string out;
  for (size_t i = 0; i < templ.size(); ++i) {
    if (templ[i] != '{') {
      out += templ[i];
      continue;
    }
    size_t close = templ.find('}', i);
    std::string name = templ.substr(i + 1, close - i - 1);
    out += name == "day" ? "2025-03-01" : name == "seq" ? "7" : "gov.example." + name;
    i = close;
  }
  return out;
}

bool Served(const Route& r) {
  return r.id != RouteId::kNotFound && r.id != RouteId::kMethodNotAllowed;
}

class OpenApiRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      spec_ = YAML::LoadFile(kSpecPath);
    } catch (const YAML::Exception& e) {
      FAIL() << kSpecPath << ": " << e.what() << " (run the tests from the repository root)";
    }
    ASSERT_TRUE(spec_["paths"].IsMap()) << kSpecPath << " has no paths";
  }
  YAML::Node spec_;
};

TEST_F(OpenApiRoutesTest, EveryDescribedOperationIsRouted) {
  int operations = 0;
  for (const auto& path : spec_["paths"]) {
    std::string templ = path.first.as<std::string>();
    for (const auto& op : path.second) {
      std::string method = op.first.as<std::string>();
      if (method == "parameters" || method == "summary" || method == "description") {
        continue;
      }
      for (char& c : method) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      Route r = MatchRoute(method, Concrete(templ));
      EXPECT_TRUE(Served(r)) << method << " " << templ << " is described but not routed";
      ++operations;
    }
  }
  EXPECT_GE(operations, 14);
}

TEST_F(OpenApiRoutesTest, EveryRoutedMethodIsDescribed) {
  const std::vector<std::string> methods = {"GET", "PUT", "POST", "DELETE", "PATCH"};
  for (const auto& path : spec_["paths"]) {
    std::string templ = path.first.as<std::string>();
    std::set<std::string> described;
    for (const auto& op : path.second) {
      std::string m = op.first.as<std::string>();
      for (char& c : m) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      described.insert(m);
    }
    for (const std::string& m : methods) {
      Route r = MatchRoute(m, Concrete(templ));
      EXPECT_EQ(Served(r), described.count(m) == 1)
          << m << " " << templ << (Served(r) ? " is routed but not described" : " is not routed");
    }
    if (described.count("GET") == 1) {
      EXPECT_TRUE(Served(MatchRoute("HEAD", Concrete(templ)))) << "HEAD " << templ;
    }
  }
}

TEST_F(OpenApiRoutesTest, EveryRouteHasADescribedPath) {
  std::set<RouteId> seen;
  for (const auto& path : spec_["paths"]) {
    std::string templ = path.first.as<std::string>();
    for (const std::string m : {"GET", "PUT", "POST"}) {
      Route r = MatchRoute(m, Concrete(templ));
      if (Served(r)) {
        seen.insert(r.id);
      }
    }
  }
  for (RouteId id : {RouteId::kLog, RouteId::kEvent, RouteId::kUnique, RouteId::kHealthz,
                     RouteId::kMetrics, RouteId::kEvents, RouteId::kEventBySeq, RouteId::kCounts,
                     RouteId::kUniques, RouteId::kOverview, RouteId::kTail}) {
    EXPECT_EQ(seen.count(id), 1u) << "route " << static_cast<int>(id) << " is not in " << kSpecPath;
  }
}

}  // namespace
}  // namespace itslog
