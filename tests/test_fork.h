// Running a piece of a test in a forked child process.
//
// SystemC elaborates once per process, so a test that needs several simulations (to compare
// runs, or to sweep a parameter) forks once per simulation: the child simulates, writes what the
// parent needs to a pipe and leaves with _exit (no atexit handlers, no gtest teardown). The parent
// must not have elaborated anything before forking.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <string>

namespace npu::testing {

/// Runs `fn` in a child process and returns the string it returned. A child that throws, crashes
/// or exits non-zero fails the calling test (and the returned string says why).
inline std::string run_in_child(const std::function<std::string()>& fn) {
  int fds[2];
  if (::pipe(fds) != 0) {
    ADD_FAILURE() << "pipe() failed";
    return "";
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork() failed";
    return "";
  }
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    int code = 0;
    try {
      out = fn();
    } catch (const std::exception& e) {
      out = std::string("child threw: ") + e.what();
      code = 3;
    } catch (...) {
      out = "child threw a non-std exception";
      code = 3;
    }
    const char* p = out.data();
    size_t left = out.size();
    while (left > 0) {
      const ssize_t w = ::write(fds[1], p, left);
      if (w <= 0) break;
      p += w;
      left -= static_cast<size_t>(w);
    }
    ::close(fds[1]);
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(code);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t r = ::read(fds[0], buf, sizeof buf);
    if (r <= 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ADD_FAILURE() << "child process failed (status " << status << "): " << out;
  }
  return out;
}

}  // namespace npu::testing
