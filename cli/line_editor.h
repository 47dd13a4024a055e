// Line editing and persistent history for the REPL, on libedit (BSD-licensed, from Debian).
// Reading polls the terminal and a cancel descriptor, so Ctrl-C (received by the signal
// watcher thread, never by a handler inside libedit) cancels the line being typed.
//
// libedit, like readline, keeps one line state per process and its line callback carries no
// user data: `reading_` records the editor waiting for a line. It is the one piece of global
// mutable state outside the engine, and only the REPL's main thread touches it.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/base/unique_fd.h"

namespace krepis::cli {

class LineEditor {
 public:
  // Reads the history file if there is one; entries are appended to it as they are added.
  explicit LineEditor(std::optional<std::filesystem::path> history_file);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  enum class Outcome { kLine, kCancelled, kEnd };
  // One line, without its newline. kCancelled when cancel() came while typing (Ctrl-C);
  // kEnd at Ctrl-D on an empty line.
  Outcome read(const std::string& prompt, std::string& line);
  // Thread-safe: makes the read in progress (or the next one) return kCancelled.
  void cancel();
  // Whether a cancel() came since the last read ended; clears it.
  bool take_cancel();
  void remember(const std::string& entry);
  // What Tab offers for the word before the cursor (a dotted path like `Math.fl`), given
  // the line before that word: the whole words it could become. Called on the reading
  // thread, inside read().
  using Completer =
      std::function<std::vector<std::string>(const std::string& word, const std::string& before)>;
  void set_completer(Completer completer) { completer_ = std::move(completer); }

  // $XDG_STATE_HOME/krepis/history, else ~/.local/state/krepis/history; none without HOME.
  static std::optional<std::filesystem::path> default_history_file();

 private:
  static void on_line(char* line);
  // libedit's completion generator: the `state`-th match for `text`, malloc'd, or null.
  static char* next_completion(const char* text, int state);

  std::optional<std::filesystem::path> history_file_;
  UniqueFd cancel_fd_;  // an eventfd
  bool got_line_ = false;
  std::optional<std::string> line_;
  std::string last_remembered_;
  Completer completer_;
  std::vector<std::string> matches_;  // of the Tab in progress
  static LineEditor* reading_;
};

}  // namespace krepis::cli
