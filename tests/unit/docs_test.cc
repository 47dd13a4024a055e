// The docs that follow the code: docs/CLI.md's field tables against the report schema, and
// every relative link in the repository's docs resolving to a file of the repository.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "core/base/pool_figures.h"
#include "core/base/run_report.h"

namespace krepis {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Row {
  std::string name, type;
};

// The rows of the table between `<!-- NAME: begin -->` and `<!-- NAME: end -->`: the first
// column without its backquotes, and the second.
std::vector<Row> table(const std::string& doc, const std::string& name) {
  const std::string begin = "<!-- " + name + ": begin -->", end = "<!-- " + name + ": end -->";
  const std::size_t from = doc.find(begin), to = doc.find(end);
  REQUIRE_MESSAGE(from != std::string::npos, begin);
  REQUIRE_MESSAGE(to != std::string::npos, end);
  std::vector<Row> rows;
  std::istringstream lines(doc.substr(from, to - from));
  const std::regex row(R"(^\| `([a-z_]+)` \| ([^|]+) \|)");
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_search(line, match, row)) {
      std::string type = match[2];
      type.erase(type.find_last_not_of(' ') + 1);
      rows.push_back({match[1], type});
    }
  }
  return rows;
}

const fs::path kSource = KREPIS_SOURCE_DIR;

TEST_CASE("docs/CLI.md lists the report's fields as the schema declares them, in order") {
  std::vector<Row> documented = table(read(kSource / "docs/CLI.md"), "report fields");
  std::vector<Row> declared;
  RunReport report;
  visit_report_fields(report, [&](const ReportField& field, const auto&) {
    if (field.shown != ReportField::Shown::kWireOnly) {
      declared.push_back({std::string(field.name), std::string(field.type)});
    }
  });
  REQUIRE(documented.size() == declared.size());
  for (std::size_t i = 0; i < declared.size(); ++i) {
    CHECK(documented[i].name == declared[i].name);
    CHECK(documented[i].type == declared[i].type);
  }
}

TEST_CASE("docs/CLI.md lists the summary's pool figures as the schema declares them") {
  std::vector<Row> documented = table(read(kSource / "docs/CLI.md"), "pool fields");
  std::vector<std::string> declared;
  PoolFigures figures;
  visit_pool_figures(figures, [&](const ReportField& field, std::size_t) {
    if (field.shown == ReportField::Shown::kAlways) declared.emplace_back(field.name);
  });
  REQUIRE(documented.size() == declared.size());
  for (std::size_t i = 0; i < declared.size(); ++i) CHECK(documented[i].name == declared[i]);
}

TEST_CASE("every relative link in the docs resolves to a file in the repository") {
  const std::regex link(R"(\]\(([^)#\s]+)(#[^)]*)?\))");
  std::vector<fs::path> docs = {kSource / "README.md", kSource / "HACKING.md"};
  for (const auto& entry : fs::directory_iterator(kSource / "docs")) {
    if (entry.path().extension() == ".md") docs.push_back(entry.path());
  }
  for (const fs::path& doc : docs) {
    const std::string text = read(doc);
    CAPTURE(doc.string());
    CHECK_MESSAGE(text.find("../shared") == std::string::npos, "a link out of the repository");
    for (std::sregex_iterator it(text.begin(), text.end(), link), end; it != end; ++it) {
      const std::string target = (*it)[1];
      if (target.find("://") != std::string::npos || target.starts_with("mailto:")) continue;
      const fs::path resolved = (doc.parent_path() / target).lexically_normal();
      CAPTURE(target);
      CHECK(fs::exists(resolved));
      CHECK(resolved.string().starts_with(kSource.lexically_normal().string()));
    }
  }
}

}  // namespace
}  // namespace krepis
