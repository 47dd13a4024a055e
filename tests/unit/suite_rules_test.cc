// Rules of the suite itself. Each test case is its own ctest entry, named after the case
// (doctest_discover_tests): a name with ';' would be split by CMake into several entries,
// each of which matches no case and passes having run nothing. So no name may hold one.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace krepis {
namespace {

namespace fs = std::filesystem;

// The name of the test case whose macro starts at `at`: its string literals, joined.
std::string case_name(const std::string& text, std::size_t at) {
  std::string name;
  std::size_t i = text.find('"', at);
  while (i != std::string::npos && i < text.size()) {
    std::size_t j = i + 1;
    for (; j < text.size() && text[j] != '"'; ++j) {
      if (text[j] == '\\') ++j;
    }
    name += text.substr(i + 1, j - i - 1);
    // Another literal right after (C++ joins them), or the end of the name.
    std::size_t next = text.find_first_not_of(" \t\r\n", j + 1);
    if (next == std::string::npos || text[next] != '"') break;
    i = next;
  }
  return name;
}

TEST_CASE("no test case's name holds a semicolon, which would split its ctest entry") {
  const fs::path tests = fs::path(KREPIS_SOURCE_DIR) / "tests";
  std::size_t cases = 0;
  for (const auto& entry : fs::recursive_directory_iterator(tests)) {
    if (entry.path().extension() != ".cc") continue;
    std::ifstream in(entry.path());
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    for (std::size_t at = text.find("TEST_CASE"); at != std::string::npos;
         at = text.find("TEST_CASE", at + 1)) {
      const std::size_t open = text.find('(', at);
      const std::string macro = text.substr(at, open - at);
      if (macro != "TEST_CASE" && macro != "TEST_CASE_FIXTURE") continue;
      if (at > 0 && text[at - 1] != '\n') continue;  // a mention, not a case
      ++cases;
      const std::string name = case_name(text, open);
      CAPTURE(entry.path().filename().string() + ": " + name);
      CHECK(name.find(';') == std::string::npos);
    }
  }
  CHECK(cases > 200);
}

}  // namespace
}  // namespace krepis
