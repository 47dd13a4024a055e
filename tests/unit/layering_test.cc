// The layering rule, where the build alone cannot enforce it: each layer reaches the layers
// below it through its include root (CMakeLists.txt), but a path that climbs with ".." would
// resolve through the link to any folder, and V8's headers under node/ would slip past the
// runtime's private link. No include may do either.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace krepis {
namespace {

namespace fs = std::filesystem;

TEST_CASE("no include climbs out of its layer or reaches V8 by another path") {
  const fs::path source = KREPIS_SOURCE_DIR;
  std::size_t files = 0;
  for (const char* folder : {"core", "cli"}) {
    for (const auto& entry : fs::recursive_directory_iterator(source / folder)) {
      const std::string extension = entry.path().extension().string();
      if (extension != ".h" && extension != ".cc") continue;
      ++files;
      std::ifstream in(entry.path());
      std::size_t number = 0;
      for (std::string line; std::getline(in, line);) {
        ++number;
        if (!line.starts_with("#include")) continue;
        CAPTURE(entry.path().string() + ":" + std::to_string(number) + ": " + line);
        CHECK(line.find("..") == std::string::npos);
        CHECK(line.find("<node/") == std::string::npos);
      }
    }
  }
  CHECK(files > 50);
}

}  // namespace
}  // namespace krepis
