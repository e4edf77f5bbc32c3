// Running an executable (the npusim CLI) as a child process for tests: arguments in; exit status,
// stdout, stderr and peak memory out. stdin is /dev/null; a child still running after the timeout
// is killed and reported as timed out, so a hang fails the test instead of blocking the suite;
// an address-space limit, when given, makes a runaway allocation fail in the child instead of
// exhausting the machine.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace npu::testing {

struct ProcessResult {
  int status = -1;         ///< exit status; -1 when the child did not exit normally
  int signal = 0;          ///< the signal that ended the child, if one did
  bool timed_out = false;  ///< killed after the timeout
  std::string out, err;    ///< what it wrote to stdout and stderr
  long max_rss_kib = 0;    ///< the child's peak resident memory
  bool exited() const { return status >= 0; }
};

/// The whole content of a file ("" if it cannot be read).
inline std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

/// Runs `program args...` (no shell) and waits for it, at most `timeout`. A non-zero
/// `address_space_bytes` limits the child's address space (RLIMIT_AS, set as it starts).
inline ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                 uint64_t address_space_bytes = 0) {
  ProcessResult r;
  // Output goes to temporary files, not pipes: no reader is needed while the child runs.
  const char* tmpdir = std::getenv("TMPDIR");
  const std::string base = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/npusim_proc_";
  std::string paths[2] = {base + "out_XXXXXX", base + "err_XXXXXX"};
  int fds[2] = {-1, -1};
  for (int i = 0; i < 2; ++i) {
    fds[i] = mkstemp(paths[i].data());
    if (fds[i] < 0) {
      r.err = "run_process: mkstemp: " + std::string(std::strerror(errno));
      if (i == 1) ::close(fds[0]), std::remove(paths[0].c_str());
      return r;
    }
    fcntl(fds[i], F_SETFD, FD_CLOEXEC);  // only the dup2'd copies reach the child
  }

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[0]);
  ::close(fds[1]);

  if (rc != 0) {
    r.err = "run_process: cannot spawn " + program + ": " + std::strerror(rc);
  } else {
    if (address_space_bytes > 0) {
      const rlimit limit{address_space_bytes, address_space_bytes};
      prlimit(pid, RLIMIT_AS, &limit, nullptr);
    }
    int st = 0;
    rusage usage{};
    bool reaped = false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const pid_t w = wait4(pid, &st, WNOHANG, &usage);
      if (w == pid) {
        reaped = true;
        break;
      }
      if (w < 0 && errno != EINTR) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        r.timed_out = true;
        kill(pid, SIGKILL);
        pid_t k;
        while ((k = wait4(pid, &st, 0, &usage)) < 0 && errno == EINTR) {
        }
        reaped = k == pid;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (reaped && WIFEXITED(st) && !r.timed_out) r.status = WEXITSTATUS(st);
    if (reaped && WIFSIGNALED(st)) r.signal = WTERMSIG(st);
    r.max_rss_kib = usage.ru_maxrss;
    r.out = read_text(paths[0]);
    r.err = read_text(paths[1]);
    if (!reaped) r.err += "\nrun_process: lost the child: " + std::string(std::strerror(errno));
  }
  std::remove(paths[0].c_str());
  std::remove(paths[1].c_str());
  return r;
}

/// The npusim binary under test: NPUSIM_BINARY, or $NPUSIM_TEST_BINARY when set (to run the
/// CLI tests against another build, e.g. to see a new test fail on the commit before a fix).
inline std::string npusim_binary() {
  const char* other = std::getenv("NPUSIM_TEST_BINARY");
  return other && *other ? other : NPUSIM_BINARY;
}

/// Runs the npusim binary under test (npusim_binary()); a test failure if it timed out or was
/// killed by a signal.
inline ProcessResult npusim(const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  ProcessResult r = run_process(npusim_binary(), args, timeout);
  EXPECT_FALSE(r.timed_out) << "npusim did not finish within the timeout";
  EXPECT_EQ(r.signal, 0) << "npusim was killed by signal " << r.signal << "\nstderr: " << r.err;
  return r;
}

}  // namespace npu::testing
