// A temporary folder for tests that need real files, removed with everything in it.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace krepis::test {

struct ScratchFolder {
  std::filesystem::path path;
  explicit ScratchFolder(const char* name = "krepis-test") {
    std::string pattern = (std::filesystem::temp_directory_path() / name).string() + "-XXXXXX";
    path = ::mkdtemp(pattern.data());
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
};

// The whole content of a file.
inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace krepis::test
