// Progress draws on a terminal and stays silent otherwise: stderr is pointed at a pseudo-terminal,
// then at a pipe, and what arrives on the other end is read back.
#include "core/progress.h"

#include <fcntl.h>
#include <pty.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace tp {
namespace {

// Runs `work` with fd 2 replaced by `fd`, restoring it after.
template <typename Work>
void WithStderr(int fd, Work work) {
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  ASSERT_GE(saved, 0);
  ASSERT_GE(::dup2(fd, STDERR_FILENO), 0);
  work();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
}

std::string ReadAvailable(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string out;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, n);
  }
  return out;
}

// Two additions a little over a second apart (the bar waits a second before drawing).
void RunProgress() {
  Progress p("convert", 4 << 20, Progress::Unit::kBytes);
  p.Add(1 << 20);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  p.Add(1 << 20);
  p.Finish();
}

TEST(ProgressTest, DrawsOnATerminal) {
  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  WithStderr(slave, RunProgress);
  const std::string out = ReadAvailable(master);
  ::close(slave);
  ::close(master);
  EXPECT_NE(out.find("convert [###############               ]  50% 2.0 MiB / 4.0 MiB"),
            std::string::npos)
      << out;
  // Finish blanks the line so the next output starts clean.
  EXPECT_NE(out.rfind(std::string("\r") + std::string(72, ' ') + "\r"), std::string::npos) << out;
}

TEST(ProgressTest, SilentWhenStderrIsNotATerminal) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  WithStderr(fds[1], RunProgress);
  ::close(fds[1]);
  EXPECT_EQ(ReadAvailable(fds[0]), "");
  ::close(fds[0]);
}

}  // namespace
}  // namespace tp
