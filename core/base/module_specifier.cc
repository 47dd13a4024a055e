#include "core/base/module_specifier.h"

#include <fmt/format.h>

#include <vector>

namespace krepis {
namespace {

// "%41" -> "A"; false on a broken escape or a decoded NUL or '/'. A root-relative URL names
// its file as a URL would (import.meta.url and new URL() percent-encode).
bool percent_decode(std::string_view text, std::string& out) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (i + 2 >= text.size()) return false;
    const int high = hex(text[i + 1]);
    const int low = hex(text[i + 2]);
    if (high < 0 || low < 0) return false;
    const char decoded = static_cast<char>(high * 16 + low);
    if (decoded == '\0' || decoded == '/') return false;
    out += decoded;
    i += 2;
  }
  return true;
}

}  // namespace

Result<ModuleRequest> resolve_module_specifier(std::string_view referrer,
                                               std::string_view specifier, bool json) {
  if (specifier.size() > kMaxSpecifierBytes) {
    return Error{fmt::format("the specifier is {} bytes, over {}", specifier.size(),
                             kMaxSpecifierBytes)};
  }
  if (specifier.find('\0') != std::string_view::npos) {
    return Error{"the specifier contains a NUL character"};
  }
  std::vector<std::string> parts;
  std::string_view rest;
  if (specifier.starts_with(kModuleUrlScheme)) {
    // Root-relative: nothing of the referrer's folder.
    std::string decoded;
    if (!percent_decode(specifier.substr(kModuleUrlScheme.size()), decoded)) {
      return Error{"a krepis: URL with a broken or forbidden %-escape"};
    }
    return resolve_module_specifier("", "./" + decoded, json);
  }
  if (specifier.starts_with("./") || specifier.starts_with("../")) {
    // The referrer's folder: everything before its last '/'.
    const std::size_t slash = referrer.rfind('/');
    std::string_view folder = slash == std::string_view::npos ? "" : referrer.substr(0, slash);
    std::size_t start = 0;
    while (start < folder.size()) {
      std::size_t end = std::min(folder.find('/', start), folder.size());
      if (end > start) parts.emplace_back(folder.substr(start, end - start));
      start = end + 1;
    }
    rest = specifier;
  } else if (specifier.starts_with('/')) {
    return Error{"an absolute path: imports are relative to the importing file ('./', '../')"};
  } else if (const std::size_t colon = specifier.find(':');
             colon != std::string_view::npos && specifier.find('/') > colon) {
    return Error{fmt::format("a {} URL: only files beneath the job's folder can be imported, "
                             "by a relative path ('./', '../')",
                             specifier.substr(0, colon + 1))};
  } else {
    return Error{"a bare specifier (a package name): krepis has no packages; import files by a "
                 "relative path ('./', '../')"};
  }
  std::size_t start = 0;
  while (start <= rest.size()) {
    std::size_t end = std::min(rest.find('/', start), rest.size());
    std::string_view part = rest.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return Error{"it climbs above the job's folder"};
      parts.pop_back();
      continue;
    }
    if (part.starts_with('.')) {
      return Error{"a name that starts with '.' (hidden files and folders are never imported)"};
    }
    parts.emplace_back(part);
  }
  if (parts.empty() || specifier.ends_with('/') || specifier.ends_with("/.") ||
      specifier.ends_with("/..") || specifier == "." || specifier == "..") {
    return Error{"it names a folder, not a file"};
  }
  ModuleRequest request;
  for (const std::string& part : parts) {
    if (!request.path.empty()) request.path += '/';
    request.path += part;
  }
  const bool json_file = request.path.ends_with(".json");
  if (!json_file && !request.path.ends_with(".mjs") && !request.path.ends_with(".js")) {
    return Error{"only .mjs, .js and .json files can be imported"};
  }
  if (json_file && !json) {
    return Error{"a .json file is imported with assert { type: 'json' }"};
  }
  if (!json_file && json) {
    return Error{"assert { type: 'json' } imports .json files only"};
  }
  request.type = json ? ModuleType::kJson : ModuleType::kJavaScript;
  return request;
}

std::string module_url(std::string_view path) {
  std::string url(kModuleUrlScheme);
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    const bool alphanumeric = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                              (byte >= '0' && byte <= '9');
    if (alphanumeric || std::string_view("/-._~!$&'()*+,;=:@").find(c) != std::string_view::npos) {
      url += c;
    } else {
      url += fmt::format("%{:02X}", byte);
    }
  }
  return url;
}

}  // namespace krepis
