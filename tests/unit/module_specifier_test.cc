// Which module specifiers resolve, to what path beneath the job's root, and why the rest are
// refused (the files themselves are opened by modules_test.cc's runs); which scripts are
// modules, and where each kind of script imports from (module_root.h); import.meta.url's form.
#include "core/base/module_specifier.h"

#include <doctest/doctest.h>

#include "core/base/module_root.h"

namespace krepis {
namespace {

std::string resolved(std::string_view referrer, std::string_view specifier, bool json = false) {
  Result<ModuleRequest> request = resolve_module_specifier(referrer, specifier, json);
  return request.ok() ? request->path : "refused: " + request.error().message;
}

TEST_CASE("relative specifiers resolve from the importing file's folder, never above the root") {
  CHECK(resolved("job.mjs", "./lib/a.mjs") == "lib/a.mjs");
  CHECK(resolved("lib/a.mjs", "./b.js") == "lib/b.js");
  CHECK(resolved("lib/a.mjs", "../c.mjs") == "c.mjs");
  CHECK(resolved("lib/deep/a.mjs", "../../x/./y/../c.mjs") == "x/c.mjs");
  CHECK(resolved("", "./a.mjs") == "a.mjs");  // -e, stdin, a REPL entry: from the root
  CHECK(resolved("lib//a.mjs", ".//b.mjs") == "lib/b.mjs");
  CHECK(resolved("job.mjs", "../x.mjs") == "refused: it climbs above the job's folder");
  CHECK(resolved("lib/a.mjs", "../../x.mjs") == "refused: it climbs above the job's folder");
  CHECK(resolved("lib/a.mjs", "./../../lib/x.mjs") == "refused: it climbs above the job's folder");
}

TEST_CASE("bare names, absolute paths and URLs other than krepis:/ are refused, saying why") {
  CHECK(resolved("job.mjs", "lodash").starts_with("refused: a bare specifier (a package name)"));
  CHECK(resolved("job.mjs", "lib/a.mjs").starts_with("refused: a bare specifier"));
  CHECK(resolved("job.mjs", "/etc/passwd.js").starts_with("refused: an absolute path"));
  CHECK(resolved("job.mjs", "file:///etc/x.mjs").starts_with("refused: a file: URL"));
  CHECK(resolved("job.mjs", "http://example.com/x.mjs").starts_with("refused: a http: URL"));
  CHECK(resolved("job.mjs", "data:text/javascript,1").starts_with("refused: a data: URL"));
  CHECK(resolved("job.mjs", "node:fs").starts_with("refused: a node: URL"));
  CHECK(resolved("job.mjs", std::string("./a\0.mjs", 8)) ==
        "refused: the specifier contains a NUL character");
  CHECK(resolved("job.mjs", "./" + std::string(5000, 'a') + ".mjs").starts_with("refused: the "
                                                                                "specifier is"));
}

TEST_CASE("krepis:/ URLs, what import.meta.url gives, resolve from the root") {
  CHECK(resolved("lib/deep/a.mjs", "krepis:/lib/b.mjs") == "lib/b.mjs");
  CHECK(resolved("a.mjs", "krepis:/my%20lib/b.mjs") == "my lib/b.mjs");
  CHECK(resolved("a.mjs", "krepis:/../x.mjs") == "refused: it climbs above the job's folder");
  CHECK(resolved("a.mjs", "krepis:/a%2F..%2F..%2Fx.mjs").starts_with("refused: a krepis: URL"));
  CHECK(resolved("a.mjs", "krepis:/a%2").starts_with("refused: a krepis: URL"));
  CHECK(module_url("lib/b.mjs") == "krepis:/lib/b.mjs");
  CHECK(module_url("my lib/ü.mjs") == "krepis:/my%20lib/%C3%BC.mjs");
  CHECK(module_url("") == "krepis:/");
  // What module_url writes, the resolver reads back.
  CHECK(resolved("", module_url("my lib/100%/ü.mjs")) == "my lib/100%/ü.mjs");
}

TEST_CASE("only .mjs, .js and .json files, and JSON only with its assertion") {
  CHECK(resolved("a.mjs", "./b") == "refused: only .mjs, .js and .json files can be imported");
  // Nothing hidden: no dotfile, nothing in a dot-folder, whatever its extension.
  const std::string hidden =
      "refused: a name that starts with '.' (hidden files and folders are never imported)";
  CHECK(resolved("a.mjs", "./.ssh/id_rsa") == hidden);
  CHECK(resolved("a.mjs", "./.config/gcloud/credentials.json", true) == hidden);
  CHECK(resolved("a.mjs", "./.secret.json", true) == hidden);
  CHECK(resolved("lib/a.mjs", "../.git/x.js") == hidden);
  CHECK(resolved("a.mjs", "krepis:/%2Ehidden.mjs") == hidden);
  CHECK(resolved("a.mjs", "./...mjs") == hidden);
  CHECK(resolved("a.mjs", "./lib/") == "refused: it names a folder, not a file");
  CHECK(resolved("a.mjs", "./lib.mjs/.") == "refused: it names a folder, not a file");
  CHECK(resolved("a.mjs", "./data.json") ==
        "refused: a .json file is imported with assert { type: 'json' }");
  CHECK(resolved("a.mjs", "./data.json", true) == "data.json");
  CHECK(resolved("a.mjs", "./b.mjs", true) ==
        "refused: assert { type: 'json' } imports .json files only");
  Result<ModuleRequest> json = resolve_module_specifier("a.mjs", "./d.json", true);
  REQUIRE(json.ok());
  CHECK(json->type == ModuleType::kJson);
}

TEST_CASE("which scripts are modules: .mjs always, any other when asked") {
  CHECK(is_module_script("job.mjs", false));
  CHECK(is_module_script("dir/job.mjs", false));
  CHECK_FALSE(is_module_script("job.js", false));
  CHECK_FALSE(is_module_script("-e", false));
  CHECK(is_module_script("job.js", true));
  CHECK(is_module_script("-e", true));
}

TEST_CASE("a script's module root is its folder, --module-root's, or none without a file") {
  Job job;
  CHECK_FALSE(set_module_root_of_script(job, "examples/jobs/job.mjs", std::nullopt));
  CHECK(job.module_root_name == "examples/jobs");
  CHECK(job.entry_path == "job.mjs");
  CHECK(std::filesystem::path(job.module_root).is_absolute());
  CHECK(job.module_root.find("examples/jobs") != std::string::npos);
  CHECK_FALSE(set_module_root_of_script(job, "job.mjs", std::nullopt));
  CHECK(job.module_root_name.empty());
  CHECK(job.entry_path == "job.mjs");
  // -e and stdin import nothing unless --module-root says from where.
  CHECK(set_module_root_of_script(job, "", std::nullopt) ==
        std::optional<std::string>("it has no folder of its own (give --module-root DIR)"));
  CHECK(job.module_root.empty());
  CHECK_FALSE(set_module_root_of_script(job, "", std::filesystem::path("examples")));
  CHECK(job.module_root_name == "examples");
  CHECK(job.entry_path.empty());
  CHECK_FALSE(set_module_root_of_script(job, "examples/jobs/job.mjs",
                                        std::filesystem::path("examples")));
  CHECK(job.entry_path == "jobs/job.mjs");
  // A script outside --module-root imports from the root itself.
  CHECK_FALSE(set_module_root_of_script(job, "/elsewhere/job.mjs",
                                        std::filesystem::path("examples")));
  CHECK(job.entry_path.empty());
  // Never the whole host, nor the kernel's folders.
  CHECK(set_module_root_of_script(job, "/job.mjs", std::nullopt).has_value());
  CHECK(job.module_root.empty());
  CHECK(set_module_root_of_script(job, "/dev/stdin", std::nullopt).has_value());
  CHECK(set_module_root_of_script(job, "/proc/self/fd/0", std::nullopt).has_value());
  CHECK(set_module_root_of_script(job, "", std::filesystem::path("/")).has_value());
  CHECK(set_module_root_of_script(job, "", std::filesystem::path("/sys/kernel")).has_value());
  CHECK(unfit_module_root("/devices") == std::nullopt);  // only /dev itself and beneath it
}

}  // namespace
}  // namespace krepis
