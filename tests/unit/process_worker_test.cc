// The parent's side of worker processes, with stand-in children (no V8): answers arrive,
// every way a child can die ends in a `crashed` report, and the next job gets a new child.
// Also the wire format both sides speak.
#include "core/batch/process_worker.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

#include "core/batch/worker_wire.h"

namespace krepis {
namespace {

using std::chrono::milliseconds;

Job job(std::string source, milliseconds deadline = milliseconds(1000)) {
  Job j{"acme", "job.js", std::move(source), std::nullopt, deadline};
  return j;
}

TenantSpec tenant(std::string id = "acme") {
  TenantSpec spec;
  spec.id = std::move(id);
  return spec;
}

// A frame's bytes as write_frame sends them, for a test to write several at once or in pieces.
std::string framed(std::string_view payload) {
  const std::uint64_t size = payload.size();
  return std::string(reinterpret_cast<const char*>(&size), sizeof size).append(payload);
}

// A child that answers each job by what its source says: "die" kills itself, "hang" never
// answers, "garble" answers nonsense, "last" answers as last words and exits, "pair" waits
// for the next job and answers both in one write ("triple": the next two); anything else
// comes back as the result, with a run count in the figures, the child's lock as the error,
// its process id as the heap peak, and as its CPU time 1 when the job asked for a wake-up
// call (made after the write).
int stand_in_child(int socket, int wake, const TenantSpec* locked_to) {
  PoolFigures figures;
  bool calls = false;  // a job answered in this write asked for a wake-up call
  const auto reply_to = [&](const Job& received, bool wake_parent, bool last) {
    RunReport report;
    report.tenant = received.tenant;
    report.script = received.script_name;
    report.result_json = received.source;
    report.error = locked_to != nullptr ? "locked to " + locked_to->id : "shared";
    report.heap_peak_bytes = static_cast<std::size_t>(::getpid());
    report.cpu_ms = wake_parent ? 1 : 0;
    calls = calls || wake_parent;
    return framed(encode_reply({report, figures, last}));
  };
  while (std::optional<std::string> frame = read_frame(socket)) {
    bool wake_parent = false;
    std::optional<Job> received = decode_job(*frame, &wake_parent);
    if (!received) return 9;
    calls = false;
    ++figures.hits;
    figures.alive = 1;
    if (received->source == "die") ::raise(SIGKILL);
    if (received->source == "hang") ::pause();
    if (received->source == "garble") {
      write_frame(socket, "not msgpack at all");
      continue;
    }
    std::string replies = reply_to(*received, wake_parent, received->source == "last");
    const int more = received->source == "pair" ? 1 : received->source == "triple" ? 2 : 0;
    for (int i = 0; i < more; ++i) {
      std::optional<std::string> next = read_frame(socket);
      bool next_wakes = false;
      std::optional<Job> after = next ? decode_job(*next, &next_wakes) : std::nullopt;
      if (!after) return 9;
      ++figures.hits;
      replies += reply_to(*after, next_wakes, false);
    }
    if (::write(socket, replies.data(), replies.size()) != static_cast<ssize_t>(replies.size())) {
      return 8;
    }
    if (calls && ::write(wake, "!", 1) != 1) return 7;
    if (received->source == "last") return 3;
  }
  return 0;
}

TEST_CASE("a job and its report cross the wire whole") {
  Job sent{"acme", "a/b.js", std::string(100'000, 'x') + "\"\\\n\xC3\xA9", std::string("{\"n\":1}"),
           milliseconds(75)};
  sent.inspect_result = true;
  sent.input_name = "input a/b.json";
  std::optional<Job> got = decode_job(encode_job(sent));
  REQUIRE(got);
  CHECK(got->tenant == sent.tenant);
  CHECK(got->script_name == sent.script_name);
  CHECK(got->source == sent.source);
  CHECK(got->input_json == sent.input_json);
  CHECK(got->input_name == sent.input_name);
  CHECK(got->deadline == sent.deadline);
  CHECK(got->inspect_result);

  WorkerReply reply;
  reply.report.tenant = "acme";
  reply.report.script = "a/b.js";
  reply.report.status = RunStatus::kOom;
  reply.report.stopped_by = StopReason::kNearHeapLimit;
  reply.report.wall_ms = 1.5;
  reply.report.heap_peak_bytes = 123456789;
  reply.report.error = "heap cap";
  reply.report.output = {"one", "two"};
  reply.figures.cold_starts = 4;
  reply.last = true;
  std::optional<WorkerReply> back = decode_reply(encode_reply(reply));
  REQUIRE(back);
  CHECK(back->report.status == RunStatus::kOom);
  CHECK(back->report.stopped_by == StopReason::kNearHeapLimit);
  CHECK(back->report.wall_ms == 1.5);
  CHECK(back->report.heap_peak_bytes == 123456789);
  CHECK(back->report.error == "heap cap");
  CHECK_FALSE(back->report.result_json);
  CHECK(back->report.output == std::vector<std::string>{"one", "two"});
  CHECK(back->figures.cold_starts == 4);
  CHECK(back->last);

  CHECK_FALSE(decode_job("garbage"));
  CHECK_FALSE(decode_reply(encode_job(sent)));  // a job is no reply
}

TEST_CASE("a session's requests and replies cross the wire whole") {
  SessionRequest request;
  request.kind = SessionRequest::Kind::kComplete;
  request.entry = 7;
  request.heap_bytes = std::size_t{1} << 40;
  request.live_output = true;
  request.job = Job{"acme", "repl", "globalThis.a", std::nullopt, milliseconds(-1)};
  request.job.module_root = "/srv/acme";
  request.path = {"a", "b"};
  request.prefix = "ca";
  std::optional<SessionRequest> got = decode_session_request(encode_session_request(request));
  REQUIRE(got);
  CHECK(got->kind == SessionRequest::Kind::kComplete);
  CHECK(got->entry == 7);
  CHECK(got->heap_bytes == request.heap_bytes);
  CHECK(got->live_output);
  CHECK_FALSE(got->keep_context);
  CHECK(got->job.source == "globalThis.a");
  CHECK_FALSE(got->job.input_json);
  CHECK(got->job.deadline == milliseconds(-1));
  CHECK(got->job.module_root == "/srv/acme");
  CHECK(got->path == request.path);
  CHECK(got->prefix == "ca");

  SessionReply reply;
  reply.run.report.status = RunStatus::kError;
  reply.run.report.result_text = "[Function: f]";
  reply.isolate_lost = true;
  reply.completions = {"cat", "car"};
  std::optional<SessionReply> back = decode_session_reply(encode_session_reply(reply));
  REQUIRE(back);
  CHECK(back->run.report.result_text == "[Function: f]");
  CHECK(back->isolate_lost);
  CHECK(back->completions == reply.completions);
  CHECK_FALSE(back->isolate);
  reply.isolate = IsolateFigures{1, 2, 3, 4, 5, 6, 7};
  back = decode_session_reply(encode_session_reply(reply));
  REQUIRE(back);
  REQUIRE(back->isolate);
  CHECK(back->isolate->used_bytes == 1);
  CHECK(back->isolate->runs == 7);
}

TEST_CASE("the wire takes exactly what its encoder writes, and bounds what it builds") {
  WorkerReply reply;
  reply.report.tenant = "acme";
  reply.report.output = {"one"};
  const std::string frame = encode_reply(reply);
  REQUIRE(decode_reply(frame));
  // Every cut short, and one byte more.
  for (std::size_t size = 0; size < frame.size(); ++size) {
    CHECK_FALSE(decode_reply(std::string_view(frame).substr(0, size)));
  }
  CHECK_FALSE(decode_reply(frame + '\xc0'));
  // A field under another name, a status that is none, a number where text belongs.
  std::string renamed = frame;
  renamed.replace(renamed.find("tenant"), 6, "tenanT");
  CHECK_FALSE(decode_reply(renamed));
  std::string unknown_status = frame;
  unknown_status.replace(unknown_status.find("\xa2ok"), 3, "\xa2OK");
  CHECK_FALSE(decode_reply(unknown_status));
  std::string number_for_text = frame;
  number_for_text.replace(number_for_text.find("\xa4" "acme"), 5, std::string("\xce\0\0\0\x01", 5));
  CHECK_FALSE(decode_reply(number_for_text));
  // Headers that claim more than the frame holds are refused before anything is allocated
  // for them: an array of 2^32 - 1 entries would be a 64 GiB tree; maps past 64 entries,
  // nesting past three levels, extension types.
  CHECK_FALSE(decode_reply(std::string("\xdd\xff\xff\xff\xff", 5)));
  CHECK_FALSE(decode_reply(std::string("\xdf\xff\xff\xff\xff", 5)));
  CHECK_FALSE(decode_reply(std::string("\x91\x91\x91\x91\xc0")));
  CHECK_FALSE(decode_reply(std::string("\xd4\x01\x00", 3)));
  // Times past what can be written back (msgpack's pack_double is undefined at 2^64).
  std::string huge_time = encode_reply(reply);
  const std::string zero_ms = std::string("wall_ms", 7) + '\0';
  REQUIRE(huge_time.find(zero_ms) != std::string::npos);
  huge_time.replace(huge_time.find(zero_ms) + 7, 1, std::string("\xcb\x43\xf0\0\0\0\0\0\0", 9));
  CHECK_FALSE(decode_reply(huge_time));
}

TEST_CASE("a frame whose array headers ask more memory than the system gives fails to decode") {
  // 64 MiB of frame whose first byte claims 2^26 entries, reserved at 24 bytes each (1.5 GiB)
  // under an address-space limit of 1 GiB: msgpack's std::bad_alloc must not escape.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Not under a sanitizer: its own maps (shadow, internal vectors) fail first under such a
  // limit, and it ends the process. The wire's fuzz target bounds what a frame reserves.
  return;
#endif
  std::string frame(64 << 20, '\xc0');
  const std::uint32_t claimed = static_cast<std::uint32_t>(frame.size() - 5);
  frame[0] = '\xdd';
  for (int i = 0; i < 4; ++i) frame[1 + i] = static_cast<char>(claimed >> (8 * (3 - i)));
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Nothing may leave this block but _exit: the child must never return into doctest.
    try {
      rlimit limit{std::size_t{1} << 30, std::size_t{1} << 30};
      ::setrlimit(RLIMIT_AS, &limit);
      const bool refused = !decode_reply(frame) && !decode_session_reply(frame);
      ::_exit(refused ? 0 : 1);
    } catch (...) {
      ::_exit(2);  // what the decoder let out
    }
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("frames survive a socket, and a truncated one is refused") {
  int ends[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends) == 0);
  CHECK(write_frame(ends[0], "hello"));
  CHECK(read_frame(ends[1]) == std::string("hello"));
  const char partial[] = {10, 0, 0, 0, 0, 0, 0, 0, 'a', 'b'};  // promises 10 bytes, sends 2
  CHECK(::write(ends[0], partial, sizeof partial) == sizeof partial);
  ::close(ends[0]);
  CHECK_FALSE(read_frame(ends[1]));
  ::close(ends[1]);
}

TEST_CASE("a frame reader reads what read_frame reads, holding what comes of the next frame") {
  int ends[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends) == 0);
  FrameReader frames(ends[1]);
  CHECK_FALSE(frames.holds_frame());
  // Three frames in one write: one read takes them all, and the other two need none.
  const std::string three = framed("one") + framed("") + framed("three");
  REQUIRE(::write(ends[0], three.data(), three.size()) == static_cast<ssize_t>(three.size()));
  CHECK(frames.next() == std::string("one"));
  CHECK(frames.holds_frame());
  CHECK(frames.next() == std::string(""));
  CHECK(frames.holds_frame());
  CHECK(frames.next() == std::string("three"));
  CHECK_FALSE(frames.holds_frame());
  // A small frame, then one larger than a read and than the socket's buffer, in pieces of
  // every size: each whole, nothing of one in the other.
  const std::string large(3 * 1024 * 1024 + 7, 'x');
  bool written = true;  // the writer's, read after it is joined
  std::jthread writer([&] {
    written = write_frame(ends[0], "small") && write_frame(ends[0], large);
    for (char byte : framed("after") + framed("last")) written = written && ::write(ends[0], &byte, 1) == 1;
  });
  CHECK(frames.next() == std::string("small"));
  CHECK(frames.next() == large);
  CHECK(frames.next() == std::string("after"));
  CHECK(frames.next() == std::string("last"));
  writer.join();
  CHECK(written);
  // A frame that claims more than the limit, and a truncated one, end the stream.
  const std::uint64_t too_big = kMaxFrameBytes + 1;
  REQUIRE(::write(ends[0], &too_big, sizeof too_big) == sizeof too_big);
  CHECK_FALSE(frames.next());
  FrameReader truncated(ends[1]);
  const char partial[] = {10, 0, 0, 0, 0, 0, 0, 0, 'a', 'b'};  // promises 10 bytes, sends 2
  CHECK(::write(ends[0], partial, sizeof partial) == sizeof partial);
  ::close(ends[0]);
  CHECK_FALSE(truncated.next());
  ::close(ends[1]);
}

// A parent waits for a reply in the read itself, for a whole frame at most until a time: a
// wait that runs out, before a frame or half way through one, is told from the stream's end.
TEST_CASE("a frame reader's wait can run out, and is told from the end of the stream") {
  using Clock = std::chrono::steady_clock;
  int ends[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends) == 0);
  FrameReader frames(ends[1]);
  REQUIRE(frames.wait_until(Clock::now() + milliseconds(20)));
  CHECK_FALSE(frames.next());  // nothing was written
  CHECK(frames.timed_out());
  REQUIRE(frames.wait_until(Clock::now() + milliseconds(1000)));
  REQUIRE(write_frame(ends[0], "late"));
  CHECK(frames.next() == std::string("late"));
  CHECK_FALSE(frames.timed_out());
  // A frame that stops half way, in its header or after it, runs out of time too.
  REQUIRE(frames.wait_until(Clock::now() + milliseconds(20)));
  const char header_part[] = {10, 0, 0};
  REQUIRE(::write(ends[0], header_part, sizeof header_part) == sizeof header_part);
  CHECK_FALSE(frames.next());
  CHECK(frames.timed_out());
  FrameReader second(ends[1]);
  REQUIRE(second.wait_until(Clock::now() + milliseconds(20)));
  const char rest_part[] = {0, 0, 0, 0, 0, 'a', 'b'};  // the header's rest: 10 bytes, sends 2
  REQUIRE(::write(ends[0], rest_part, sizeof rest_part) == sizeof rest_part);
  CHECK_FALSE(second.next());
  CHECK(second.timed_out());
  // Cut short by the end of the stream, it did not run out of time.
  FrameReader third(ends[1]);
  REQUIRE(third.wait_until(Clock::now() + milliseconds(1000)));
  const char cut[] = {10, 0, 0, 0, 0, 0, 0, 0, 'a', 'b'};
  REQUIRE(::write(ends[0], cut, sizeof cut) == sizeof cut);
  ::close(ends[0]);
  CHECK_FALSE(third.next());
  CHECK_FALSE(third.timed_out());
  CHECK_FALSE(third.next());
  CHECK_FALSE(third.timed_out());
  ::close(ends[1]);
  // Only a socket can bound its reads' wait.
  int pipe_ends[2];
  REQUIRE(::pipe(pipe_ends) == 0);
  CHECK_FALSE(FrameReader(pipe_ends[0]).wait_until(Clock::now() + milliseconds(20)));
  ::close(pipe_ends[0]);
  ::close(pipe_ends[1]);
}

TEST_CASE("a worker process answers jobs, and keeps one child for all of them") {
  ProcessWorker worker(stand_in_child);
  RunReport first = worker.run(job("'one'"), tenant());
  const pid_t child = worker.child();
  RunReport second = worker.run(job("'two'"), tenant());
  CHECK(first.result_json == "'one'");
  CHECK(second.result_json == "'two'");
  CHECK(worker.child() == child);
  CHECK(worker.figures().hits == 2);
  CHECK(worker.figures().alive == 1);
}

// Every third job asks for a wake-up call; the replies before one are read with it.
TEST_CASE("every third job sent asks its child for a wake-up call") {
  static_assert(ProcessWorker::kJobsPerCall == 3);
  const TenantSpec acme = tenant();
  ProcessWorker worker(stand_in_child);
  for (const char* source : {"'1'", "'2'", "'3'", "'4'"}) worker.submit(job(source), acme);
  CHECK(worker.collect().cpu_ms == 0);
  CHECK(worker.collect().cpu_ms == 0);
  CHECK(worker.collect().cpu_ms == 1);
  for (const char* source : {"'5'", "'6'", "'7'"}) worker.submit(job(source), acme);
  CHECK(worker.collect().cpu_ms == 0);
  CHECK(worker.collect().cpu_ms == 0);
  CHECK(worker.collect().cpu_ms == 1);
  CHECK(worker.collect().result_json == "'7'");
  CHECK(worker.figures().hits == 7);
}

// The parent sleeps until the third job's wake-up call; the first job's reply came before
// it and must not wait for it. Here the second job is answered only once a fourth is sent,
// after the first is collected: collecting the first would wait out its deadline and grace
// and call it crashed if a reply that came were not read within kUnreadAtMost.
TEST_CASE("a reply that came before a slow job's is read without waiting for the call") {
  const TenantSpec acme = tenant();
  ProcessWorker worker(stand_in_child, milliseconds(1000));
  worker.submit(job("'quick'"), acme);
  worker.submit(job("triple"), acme);   // answered once the next two jobs came
  worker.submit(job("'third'"), acme);  // asks for the call
  const RunReport quick = worker.collect();
  CHECK(quick.status == RunStatus::kOk);
  CHECK(quick.result_json == "'quick'");
  worker.submit(job("'fourth'"), acme);
  CHECK(worker.collect().result_json == "triple");
  CHECK(worker.collect().result_json == "'third'");
  CHECK(worker.collect().result_json == "'fourth'");
}

// While the parent sleeps until a wake-up call, a child that dies or hangs is still told:
// the report of `source`, handed before two jobs, the second of which asks for the call the
// child never makes. The two run in the next child.
RunReport told_before_call(ProcessWorker& worker, const std::string& source,
                           milliseconds deadline) {
  const TenantSpec acme = tenant();
  worker.submit(job(source, deadline), acme);
  worker.submit(job("'after'"), acme);
  worker.submit(job("'calls'"), acme);
  const RunReport first = worker.collect();
  CHECK(worker.collect().result_json == "'after'");
  CHECK(worker.collect().result_json == "'calls'");
  return first;
}

TEST_CASE("a child that dies or hangs before a wake-up call is told as without one") {
  ProcessWorker worker(stand_in_child);
  const RunReport died = told_before_call(worker, "die", milliseconds(1000));
  CHECK(died.status == RunStatus::kCrashed);
  REQUIRE(died.error);
  CHECK(died.error->find("was killed by signal 9 (Killed) during the run") != std::string::npos);
  ProcessWorker hurried(stand_in_child, milliseconds(50));
  const RunReport hung = told_before_call(hurried, "hang", milliseconds(10));
  CHECK(hung.status == RunStatus::kCrashed);
  REQUIRE(hung.error);
  CHECK(hung.error->find("did not answer") != std::string::npos);
}

// Jobs handed two at a time (slow ones) never ask for a call: each reply wakes the parent.
TEST_CASE("jobs handed two at a time ask for no wake-up call") {
  const TenantSpec acme = tenant();
  ProcessWorker worker(stand_in_child);
  worker.submit(job("'1'"), acme);
  for (int i = 2; i <= 7; ++i) {
    worker.submit(job("'" + std::to_string(i) + "'"), acme);
    CHECK(worker.collect().cpu_ms == 0);
  }
  CHECK(worker.collect().cpu_ms == 0);
}

// A call taken with one reply may be that of a later job: replies too large for one read
// that came before it are read without a wait for another call. With a wait that would
// outlast the deadline and the grace, a collect that slept would call its job crashed.
TEST_CASE("replies that came before a call taken earlier are read without sleeping") {
  const TenantSpec acme = tenant();
  ProcessWorker worker(stand_in_child, milliseconds(1000), {}, std::chrono::hours(1));
  const std::string large(6000, 'x');  // each reply takes more than one read
  // The third asks for the call, which wakes the parent for the first; no later one asks.
  for (int i = 0; i < 4; ++i) worker.submit(job("'" + std::to_string(i) + large + "'"), acme);
  for (int i = 0; i < 4; ++i) {
    const RunReport report = worker.collect();
    CHECK(report.status == RunStatus::kOk);
    CHECK(report.result_json == "'" + std::to_string(i) + large + "'");
  }
}

// The second reply came in the read that took the first: collecting it must not wait for
// the socket (it would wait out the deadline and the grace, and call the job crashed).
TEST_CASE("two replies that come in one read are both collected, the second without a wait") {
  const TenantSpec acme = tenant();
  ProcessWorker worker(stand_in_child, milliseconds(100));
  worker.submit(job("pair", milliseconds(100)), acme);
  worker.submit(job("'second'", milliseconds(100)), acme);
  RunReport first = worker.collect();
  RunReport second = worker.collect();
  CHECK(first.status == RunStatus::kOk);
  CHECK(first.result_json == "pair");
  CHECK(second.status == RunStatus::kOk);
  CHECK(second.result_json == "'second'");
  CHECK(worker.figures().hits == 2);
}

TEST_CASE("a child killed mid-job: the job is crashed, and the next gets a new child") {
  ProcessWorker worker(stand_in_child);
  worker.run(job("'warm'"), tenant());
  const pid_t first_child = worker.child();
  RunReport died = worker.run(job("die"), tenant());
  CHECK(died.status == RunStatus::kCrashed);
  CHECK(died.tenant == "acme");
  CHECK(died.script == "job.js");
  REQUIRE(died.error);
  CHECK(died.error->find("killed by signal 9") != std::string::npos);
  CHECK(worker.child() == -1);

  RunReport after = worker.run(job("'after'"), tenant());
  CHECK(after.result_json == "'after'");
  CHECK(worker.child() != first_child);
  // What the dead child reported stays counted (not the job it died in); it holds no
  // instance any more.
  CHECK(worker.figures().hits == 2);
  CHECK(worker.figures().alive == 1);
}

TEST_CASE("a child that does not answer past deadline and grace is killed, and replaced") {
  ProcessWorker worker(stand_in_child, milliseconds(50));
  RunReport hung = worker.run(job("hang", milliseconds(10)), tenant());
  CHECK(hung.status == RunStatus::kCrashed);
  REQUIRE(hung.error);
  CHECK(hung.error->find("did not answer") != std::string::npos);
  CHECK(worker.run(job("'next'"), tenant()).result_json == "'next'");
}

TEST_CASE("a garbled reply ends the child, last words end it after their report") {
  ProcessWorker worker(stand_in_child);
  RunReport garbled = worker.run(job("garble"), tenant());
  CHECK(garbled.status == RunStatus::kCrashed);
  REQUIRE(garbled.error);
  CHECK(garbled.error->find("does not parse") != std::string::npos);

  RunReport last = worker.run(job("last"), tenant());
  CHECK(last.result_json == "last");  // last words are the job's report
  CHECK(worker.child() == -1);
  CHECK(worker.run(job("'again'"), tenant()).result_json == "'again'");
}

TEST_CASE("jobs handed ahead of a death go to the next child, in order") {
  ProcessWorker worker(stand_in_child);
  const TenantSpec acme = tenant();  // a submitted job's tenant outlives the job
  worker.submit(job("'first'"), acme);
  worker.submit(job("die"), acme);
  worker.submit(job("'queued behind the death'"), acme);
  CHECK(worker.collect().result_json == "'first'");
  CHECK(worker.collect().status == RunStatus::kCrashed);
  CHECK(worker.collect().result_json == "'queued behind the death'");

  worker.submit(job("last"), acme);
  worker.submit(job("'queued behind last words'"), acme);
  CHECK(worker.collect().result_json == "last");
  CHECK(worker.collect().result_json == "'queued behind last words'");
}

TEST_CASE("only a job that fits the socket is queued behind another") {
  ProcessWorker worker(stand_in_child);
  CHECK(worker.can_queue(job("1"), tenant()));
  CHECK_FALSE(worker.can_queue(job(std::string(1 << 20, ' ')), tenant()));
}

TEST_CASE("a tenant the lock rule names runs in children locked to it, the others in shared ones") {
  const TenantSpec own = tenant("files");
  const TenantSpec shared = tenant("acme");
  ProcessWorker worker(stand_in_child, ProcessWorker::kDefaultGrace,
                       [](const TenantSpec& spec) { return spec.id == "files"; });
  worker.submit(job("1"), shared);
  CHECK(worker.can_queue(job("2"), shared));
  CHECK_FALSE(worker.can_queue(job("3"), own));  // it waits for a child of its own
  const RunReport first = worker.collect();
  CHECK(first.error == "shared");

  // Handed together anyway, they run in order, each in a child of its lock.
  worker.submit(job("3"), own);
  worker.submit(job("4"), own);
  worker.submit(job("5"), shared);
  const RunReport third = worker.collect();
  const RunReport fourth = worker.collect();
  const RunReport fifth = worker.collect();
  CHECK(third.result_json == "3");
  CHECK(third.error == "locked to files");
  CHECK(fourth.heap_peak_bytes == third.heap_peak_bytes);  // the same locked child
  CHECK(third.heap_peak_bytes != first.heap_peak_bytes);
  CHECK(fifth.result_json == "5");
  CHECK(fifth.error == "shared");
  CHECK(fifth.heap_peak_bytes != third.heap_peak_bytes);
  CHECK(worker.figures().hits == 4);  // every child's figures count
}

}  // namespace
}  // namespace krepis
