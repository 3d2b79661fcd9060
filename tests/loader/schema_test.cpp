// The JSON Schema shipped in docs/ is the one `jreview schema` prints, and it
// describes exactly the keys the loader accepts.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "jointreview/loader.h"
#include "loader/keys.h"

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
std::vector<std::string> property_names(const nlohmann::ordered_json& obj) {
  std::vector<std::string> out;
  for (auto& [k, v] : obj.at("properties").items()) out.push_back(k);
  return out;
}
}  // namespace

TEST_CASE("docs/workflow.schema.json is what jreview schema prints", "[schema]") {
  std::string docs = slurp(std::string(JR_SOURCE_DIR) + "/docs/workflow.schema.json");
  REQUIRE_FALSE(docs.empty());
  CHECK(docs == jointreview::workflow_schema_json());
}

TEST_CASE("the schema lists the loader's keys in order", "[schema]") {
  auto s = nlohmann::ordered_json::parse(jointreview::workflow_schema_json());
  CHECK(property_names(s) == std::vector<std::string>(jointreview::keys::workflow.begin(),
                                                      jointreview::keys::workflow.end()));
  auto step = s["properties"]["steps"]["items"];
  auto names = property_names(step);
  std::sort(names.begin(), names.end());
  auto expected = jointreview::keys::step;
  std::sort(expected.begin(), expected.end());
  CHECK(names == expected);
  CHECK(s["required"] == nlohmann::ordered_json::array({"workflow"}));
}
