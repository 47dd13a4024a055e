// Path resolution beneath a tenant's folder, on the real filesystem, with openat2 and with
// the O_NOFOLLOW walk used where the kernel lacks it. Every escape is refused with a code.
#include "core/ops/tenant_folder.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "unit/scratch_folder.h"

namespace krepis {
namespace {

namespace fs = std::filesystem;

using test::slurp;

// scratch/root is the tenant's folder; scratch/secret.txt and scratch/other/ are outside it.
struct Folders {
  test::ScratchFolder temporary{"krepis-folder"};
  fs::path scratch = temporary.path;
  fs::path root;
  std::optional<TenantFolder> folder;

  explicit Folders(bool walk) {
    root = scratch / "root";
    fs::create_directories(root / "sub");
    fs::create_directories(scratch / "other");
    std::ofstream(root / "a.txt") << "alpha";
    std::ofstream(root / "sub" / "b.txt") << "beta";
    std::ofstream(scratch / "secret.txt") << "secret";
    std::ofstream(scratch / "other" / "x.txt") << "other tenant";
    fs::create_symlink("../secret.txt", root / "out");
    fs::create_symlink("/proc/self/environ", root / "environ");
    fs::create_symlink("../other", root / "other-link");
    fs::create_symlink("a.txt", root / "in");
    ::mkfifo((root / "fifo").c_str(), 0600);
    FsError error;
    std::optional<TenantFolder> opened = TenantFolder::open(root, error);
    REQUIRE_MESSAGE(opened.has_value(), error.message);
    folder.emplace(std::move(*opened));
    if (walk) folder->force_walk();
  }

  FsResult<std::size_t> read(std::string_view path, std::string& text,
                             std::size_t max = 1 << 20) const {
    return folder->read(
        path, max,
        [&](std::size_t size) {
          text.resize(size);
          return text.data();
        },
        [] { return false; });
  }
  std::string read_code(std::string_view path) const {
    std::string text;
    auto result = read(path, text);
    return result.ok() ? "ok:" + text.substr(0, *result) : result.error().code;
  }
  std::string write_code(std::string_view path, std::string_view bytes) const {
    auto result = folder->write(path, bytes, [] { return false; });
    return result.ok() ? "ok" : result.error().code;
  }
};

void each_resolver(const std::function<void(Folders&)>& test) {
  for (bool walk : {false, true}) {
    CAPTURE(walk);
    Folders folders(walk);
    test(folders);
  }
}

TEST_CASE("reads resolve beneath the folder") {
  each_resolver([](Folders& f) {
    CHECK(f.read_code("a.txt") == "ok:alpha");
    CHECK(f.read_code("./sub/b.txt") == "ok:beta");
    CHECK(f.read_code("sub/../a.txt") == "ok:alpha");
    CHECK(f.read_code("sub//b.txt") == "ok:beta");
    CHECK(f.read_code("missing.txt") == "ENOENT");
    CHECK(f.read_code("sub") == "EISDIR");
    CHECK(f.read_code("a.txt/x") == "ENOTDIR");
  });
}

TEST_CASE("no path leads outside the folder") {
  each_resolver([](Folders& f) {
    CHECK(f.read_code("/etc/passwd") == "EACCES");
    CHECK(f.read_code("../secret.txt") == "EACCES");
    CHECK(f.read_code("sub/../../secret.txt") == "EACCES");
    CHECK(f.read_code("..") == "EACCES");
    CHECK(f.read_code("out") == "EACCES");      // a symlink inside, pointing out
    CHECK(f.read_code("environ") == "EACCES");  // /proc/self/environ through a symlink
    CHECK(f.read_code("/proc/self/environ") == "EACCES");
    CHECK(f.read_code("../other/x.txt") == "EACCES");  // another tenant's folder
    CHECK(f.read_code("other-link/x.txt") == "EACCES");
  });
}

TEST_CASE("a symlink that stays inside is followed by openat2, refused by the walk") {
  Folders kernel(false);
  if (kernel.folder->uses_openat2()) CHECK(kernel.read_code("in") == "ok:alpha");
  Folders walk(true);
  CHECK(walk.read_code("in") == "EACCES");
}

TEST_CASE("malformed paths and special files are refused before any access") {
  each_resolver([](Folders& f) {
    CHECK(f.read_code(std::string_view("a.txt\0.png", 10)) == "EINVAL");
    CHECK(f.read_code("") == "EINVAL");
    CHECK(f.read_code(std::string(kMaxPathBytes + 1, 'a')) == "ENAMETOOLONG");
    CHECK(f.read_code(std::string(kMaxNameBytes + 1, 'a')) == "ENAMETOOLONG");
    CHECK(f.read_code("fifo") == "EACCES");  // and it did not wait for a writer
  });
}

TEST_CASE("reads past the quota are refused before reading") {
  each_resolver([](Folders& f) {
    std::string text;
    auto result = f.read("a.txt", text, 4);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == "EDQUOT");
  });
}

TEST_CASE("writes replace files atomically, beneath the folder only") {
  each_resolver([](Folders& f) {
    CHECK(f.write_code("new.txt", "fresh") == "ok");
    CHECK(slurp(f.root / "new.txt") == "fresh");
    CHECK(f.write_code("a.txt", "replaced") == "ok");
    CHECK(slurp(f.root / "a.txt") == "replaced");
    CHECK(f.write_code("sub/c.txt", "") == "ok");
    CHECK(fs::file_size(f.root / "sub" / "c.txt") == 0);

    CHECK(f.write_code("../escape.txt", "x") == "EACCES");
    CHECK(f.write_code("/tmp/escape.txt", "x") == "EACCES");
    CHECK(f.write_code("other-link/x.txt", "x") == "EACCES");
    CHECK(slurp(f.scratch / "other" / "x.txt") == "other tenant");
    CHECK(f.write_code("sub", "x") == "EISDIR");
    CHECK(f.write_code("nowhere/x.txt", "x") == "ENOENT");
    CHECK(f.write_code("fifo", "x") == "EACCES");
    // Writing to a symlink that points out replaces the link, never the file outside.
    CHECK(f.write_code("out", "not the secret") == "ok");
    CHECK(slurp(f.scratch / "secret.txt") == "secret");
    CHECK_FALSE(fs::is_symlink(f.root / "out"));
  });
}

TEST_CASE("a write stopped midway leaves the old file and no temporary file") {
  each_resolver([](Folders& f) {
    std::string big(3 * 1024 * 1024, 'x');
    int chunks = 0;
    auto result = f.folder->write("a.txt", big, [&] { return ++chunks > 1; });
    REQUIRE_FALSE(result.ok());
    CHECK(slurp(f.root / "a.txt") == "alpha");
    for (const auto& entry : fs::directory_iterator(f.root)) {
      CHECK_FALSE(entry.path().filename().string().starts_with(".krepis-write-"));
    }
  });
}

TEST_CASE("two isolates of one tenant write the same file at the same time") {
  Folders first(false);
  FsError error;
  std::optional<TenantFolder> second = TenantFolder::open(first.root, error);
  REQUIRE(second.has_value());
  std::string big(3 * 1024 * 1024, 'a');
  bool nested_ok = false;
  bool started = false;
  // While the first write is between chunks, the second folder object writes the same path.
  auto result = first.folder->write("shared.txt", big, [&] {
    if (!started) {
      started = true;
      nested_ok = second->write("shared.txt", "b", [] { return false; }).ok();
    }
    return false;
  });
  CHECK(nested_ok);
  CHECK(result.ok());
  CHECK(slurp(first.root / "shared.txt") == big);  // the last rename wins, whole
}

TEST_CASE("mkdir, remove, list and stat stay beneath the folder") {
  each_resolver([](Folders& f) {
    CHECK(f.folder->mkdir("d1/d2/d3").ok());
    CHECK(fs::is_directory(f.root / "d1" / "d2" / "d3"));
    CHECK(f.folder->mkdir("d1/d2").ok());  // exists: fine
    CHECK(f.folder->mkdir("a.txt").error().code == "ENOTDIR");
    CHECK(f.folder->mkdir("../outside").error().code == "EINVAL");
    CHECK(f.folder->mkdir("other-link/new").error().code == "EACCES");
    CHECK_FALSE(fs::exists(f.scratch / "other" / "new"));

    CHECK(f.folder->remove("d1").error().code == "ENOTEMPTY");
    CHECK(f.folder->remove("d1/d2/d3").ok());
    CHECK_FALSE(fs::exists(f.root / "d1" / "d2" / "d3"));
    CHECK(f.folder->remove("sub/b.txt").ok());
    CHECK(f.folder->remove(".").error().code == "EINVAL");
    CHECK(f.folder->remove("../secret.txt").error().code == "EACCES");
    CHECK(f.folder->remove("out").ok());  // the link, not its target
    CHECK(fs::exists(f.scratch / "secret.txt"));
    CHECK(f.folder->remove("missing").error().code == "ENOENT");

    auto listing = f.folder->list(".");
    REQUIRE(listing.ok());
    std::vector<std::string> names;
    for (const FsEntry& entry : *listing) names.push_back(entry.name + ":" + entry.type);
    CHECK(names == std::vector<std::string>{"a.txt:file", "d1:dir", "environ:symlink", "fifo:other",
                                            "in:symlink", "other-link:symlink", "sub:dir"});
    CHECK(f.folder->list("a.txt").error().code == "ENOTDIR");
    CHECK(f.folder->list("..").error().code == "EACCES");

    auto info = f.folder->stat("a.txt");
    REQUIRE(info.ok());
    CHECK(info->type == "file");
    CHECK(info->size == 5);
    CHECK(info->mtime_ms > 0);
    CHECK(f.folder->stat("sub")->type == "dir");
    CHECK(f.folder->stat("../secret.txt").error().code == "EACCES");
  });
}

}  // namespace
}  // namespace krepis
