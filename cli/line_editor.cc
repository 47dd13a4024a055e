#include "cli/line_editor.h"

#include <editline/readline.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace krepis::cli {

LineEditor* LineEditor::reading_ = nullptr;

namespace {
constexpr int kHistoryEntries = 1000;
}

std::optional<std::filesystem::path> LineEditor::default_history_file() {
  if (const char* state = std::getenv("XDG_STATE_HOME"); state != nullptr && *state == '/') {
    return std::filesystem::path(state) / "krepis" / "history";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::filesystem::path(home) / ".local" / "state" / "krepis" / "history";
  }
  return std::nullopt;
}

LineEditor::LineEditor(std::optional<std::filesystem::path> history_file)
    : history_file_(std::move(history_file)), cancel_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  rl_readline_name = "krepis";
  // Signals are the watcher thread's business, not libedit's.
  rl_catch_signals = 0;
  // A word for Tab is a dotted path of identifiers: '.' and '$' do not break it.
  rl_basic_word_break_characters = " \t\n\"\\'`@><=;|&{}()[]+-*/%!~^?:,";
  rl_completion_entry_function = &LineEditor::next_completion;
  rl_completion_append_character = '\0';
  using_history();
  stifle_history(kHistoryEntries);
  if (history_file_) {
    std::error_code ignored;
    std::filesystem::create_directories(history_file_->parent_path(), ignored);
    if (!std::filesystem::exists(*history_file_, ignored)) std::ofstream(*history_file_).flush();
    read_history(history_file_->c_str());
  }
}

LineEditor::~LineEditor() = default;

void LineEditor::on_line(char* line) {
  LineEditor* self = reading_;
  rl_callback_handler_remove();
  if (self == nullptr) return;
  self->got_line_ = true;
  if (line != nullptr) self->line_ = std::string(line);
  std::free(line);
}

char* LineEditor::next_completion(const char* text, int state) {
  LineEditor* self = reading_;
  if (self == nullptr || !self->completer_) return nullptr;
  if (state == 0) {
    const std::size_t length = std::strlen(text);
    const std::size_t point = rl_point < 0 ? 0 : static_cast<std::size_t>(rl_point);
    const std::string before(rl_line_buffer != nullptr && point >= length ? rl_line_buffer : "",
                             point >= length ? point - length : 0);
    self->matches_ = self->completer_(text, before);
  }
  if (static_cast<std::size_t>(state) >= self->matches_.size()) return nullptr;
  return ::strdup(self->matches_[static_cast<std::size_t>(state)].c_str());
}

LineEditor::Outcome LineEditor::read(const std::string& prompt, std::string& line) {
  got_line_ = false;
  line_.reset();
  reading_ = this;
  rl_callback_handler_install(prompt.c_str(), &LineEditor::on_line);
  Outcome outcome = Outcome::kEnd;
  for (;;) {
    pollfd fds[] = {{STDIN_FILENO, POLLIN, 0}, {cancel_fd_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents & POLLIN) {
      std::uint64_t count = 0;
      [[maybe_unused]] ssize_t drained = ::read(cancel_fd_.get(), &count, sizeof count);
      rl_callback_handler_remove();
      std::fputs("^C\n", stdout);
      std::fflush(stdout);
      outcome = Outcome::kCancelled;
      break;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      rl_callback_read_char();
      if (got_line_) {
        outcome = line_ ? Outcome::kLine : Outcome::kEnd;
        if (line_) line = *line_;
        break;
      }
    }
  }
  reading_ = nullptr;
  return outcome;
}

void LineEditor::cancel() {
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t written = ::write(cancel_fd_.get(), &one, sizeof one);
}

bool LineEditor::take_cancel() {
  std::uint64_t count = 0;
  return ::read(cancel_fd_.get(), &count, sizeof count) == sizeof count && count > 0;
}

void LineEditor::remember(const std::string& entry) {
  if (entry.empty() || entry == last_remembered_) return;
  last_remembered_ = entry;
  add_history(entry.c_str());
  // The whole (bounded) history each time: an entry survives even a session that dies.
  if (history_file_) write_history(history_file_->c_str());
}

}  // namespace krepis::cli
