#include "core/output_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor_reader.h"

namespace tp {
namespace {

constexpr size_t kBufferSize = 1 << 20;

// ---------------------------------------------------------------------------------------------
// Named temporaries that a SIGINT / SIGTERM must not leave behind. The handler may only touch
// async-signal-safe state: fixed slots of plain characters, claimed with atomics.

constexpr int kSlots = 16;
constexpr size_t kSlotPath = 4096;
std::atomic<int> g_slot_state[kSlots];  // 0 free, 1 being written, 2 live
char g_slot_path[kSlots][kSlotPath];

void OnTerminatingSignal(int sig) {
  for (int i = 0; i < kSlots; ++i) {
    if (g_slot_state[i].load() == 2) ::unlink(g_slot_path[i]);
  }
  // Then die of the signal as if there were no handler (the parent sees the real cause).
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void InstallHandlersOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction current;
      if (::sigaction(sig, nullptr, &current) != 0) continue;
      // A program's own handler, or an inherited "ignore" (nohup, background jobs), stays.
      if (current.sa_handler != SIG_DFL || (current.sa_flags & SA_SIGINFO)) continue;
      struct sigaction sa;
      std::memset(&sa, 0, sizeof(sa));
      sa.sa_handler = &OnTerminatingSignal;
      sigemptyset(&sa.sa_mask);
      ::sigaction(sig, &sa, nullptr);
    }
  });
}

// Returns the slot index, or -1 when the path is too long or every slot is taken (the
// destructor still removes the file; only a signal could then leave it).
int RegisterTemporary(const std::string& path) {
  if (path.size() + 1 > kSlotPath) return -1;
  InstallHandlersOnce();
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (g_slot_state[i].compare_exchange_strong(expected, 1)) {
      std::memcpy(g_slot_path[i], path.c_str(), path.size() + 1);
      g_slot_state[i].store(2);
      return i;
    }
  }
  return -1;
}

void UnregisterTemporary(const std::string& path) {
  for (int i = 0; i < kSlots; ++i) {
    if (g_slot_state[i].load() == 2 && path == g_slot_path[i]) {
      g_slot_state[i].store(0);
      return;
    }
  }
}

std::string Directory(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string TempName(const std::string& path) {
  static std::atomic<int> counter{0};
  return absl::StrCat(path, ".tmp-", ::getpid(), "-", counter++);
}

absl::Status CreateError(const std::string& path, int err) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": cannot create output: ", std::strerror(err)));
}

// Gives the unnamed file open as `fd` the name `target` (which must not exist).
int LinkUnnamed(int fd, const std::string& target) {
  const std::string proc = absl::StrCat("/proc/self/fd/", fd);
  if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW) == 0) return 0;
  const int err = errno;
  if (err == EEXIST) return err;
  // Without /proc: AT_EMPTY_PATH (needs CAP_DAC_READ_SEARCH, which root has).
  if (::linkat(fd, "", AT_FDCWD, target.c_str(), AT_EMPTY_PATH) == 0) return 0;
  return errno == EEXIST ? EEXIST : err;
}

}  // namespace

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::Create(const std::string& path) {
  // The unnamed file must live in the destination's folder (linkat cannot cross filesystems).
  const char* no_tmpfile = std::getenv("TENSORPORT_NO_O_TMPFILE");  // tests of the fallback
  if (no_tmpfile == nullptr || *no_tmpfile == '\0') {
    const int fd = ::open(Directory(path).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0) return std::unique_ptr<OutputFile>(new OutputFile(path, "", fd));
    const int err = errno;
    // Anything but "this filesystem has no O_TMPFILE" is the folder's problem: report it.
    if (err != EOPNOTSUPP && err != EISDIR && err != EINVAL) return CreateError(path, err);
  }
  std::string temp = TempName(path);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return CreateError(path, errno);
  RegisterTemporary(temp);
  return std::unique_ptr<OutputFile>(new OutputFile(path, std::move(temp), fd));
}

OutputFile::~OutputFile() {
  ClosePipe();
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_path_.empty()) {
    ::unlink(temp_path_.c_str());
    UnregisterTemporary(temp_path_);
  }
}

void OutputFile::ClosePipe() {
  for (int& end : pipe_) {
    if (end >= 0) ::close(end);
    end = -1;
  }
}

absl::Status OutputFile::FlushBuffer() {
  absl::Status s = WriteAll(buffer_);
  buffer_.clear();
  return s;
}

absl::Status OutputFile::Write(absl::string_view bytes) {
  offset_ += bytes.size();
  if (buffer_.size() + bytes.size() <= kBufferSize) {
    buffer_.append(bytes.data(), bytes.size());
    return absl::OkStatus();
  }
  absl::Status s = FlushBuffer();
  if (!s.ok()) return s;
  if (bytes.size() >= kBufferSize) return WriteAll(bytes);  // large: straight from the caller
  buffer_.append(bytes.data(), bytes.size());
  return absl::OkStatus();
}

absl::Status OutputFile::WriteAll(absl::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat(path_, ": write failed: ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status OutputFile::WriteZeros(uint64_t count) {
  static const char kZeros[4096] = {};
  while (count > 0) {
    const uint64_t n = std::min<uint64_t>(count, sizeof(kZeros));
    absl::Status s = Write(absl::string_view(kZeros, n));
    if (!s.ok()) return s;
    count -= n;
  }
  return absl::OkStatus();
}

absl::Status OutputFile::CopyFrom(int fd, uint64_t offset, uint64_t length) {
  absl::Status s = FlushBuffer();
  if (!s.ok()) return s;
  offset_ += length;
  loff_t in = static_cast<loff_t>(offset);
  uint64_t left = length;
  // Each way returns OK with `left` at zero when done, or OK with bytes left when the kernel or
  // filesystem refused it (the next way takes over from where it stopped).
  if (left > 0 && splice_usable_) RETURN_IF_ERROR(SpliceFrom(fd, &in, &left, length));
  if (left > 0 && copy_range_usable_) RETURN_IF_ERROR(CopyRangeFrom(fd, &in, &left, length));
  if (left > 0) RETURN_IF_ERROR(ReadFrom(fd, &in, &left, length));
  return absl::OkStatus();
}

namespace {

// Errors that mean "this way of copying is not available for these files", not "the copy failed".
bool Unsupported(int err) {
  return err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP || err == EBADF ||
         err == EPERM || err == ESPIPE;
}

}  // namespace

absl::Status OutputFile::ShortSource(uint64_t left, uint64_t length) const {
  return absl::DataLossError(absl::StrCat(path_, ": source file ended ", left,
                                          " bytes short of the ", length, " to copy"));
}

// Through a pipe of up to 1 MiB: splice takes references to the source's page-cache pages into
// the pipe and copies them into the output's page cache, the one copy the kernel makes.
// copy_file_range does the same on ext4 through a 64 KiB pipe, which is slow when the source and
// output offsets differ within a page, as they do for GGUF (its packed tensor offsets cannot
// follow the source archive's). Measured on a 1 GiB copy at offsets 64 -> 4192: 0.37 s through
// 64 KiB, 0.27 s through 1 MiB (cp of the whole file, offsets equal: 0.24 s).
absl::Status OutputFile::SpliceFrom(int fd, loff_t* in, uint64_t* left, uint64_t length) {
  if (pipe_[0] < 0) {
    if (::pipe2(pipe_, O_CLOEXEC) != 0) {
      pipe_[0] = pipe_[1] = -1;
      splice_usable_ = false;
      return absl::OkStatus();
    }
    // The largest size an unprivileged process may ask for (fs.pipe-max-size, 1 MiB by default);
    // a refusal leaves the default 64 KiB, which still works.
    int size = ::fcntl(pipe_[1], F_SETPIPE_SZ, 1 << 20);
    if (size < 0) size = ::fcntl(pipe_[1], F_GETPIPE_SZ);
    pipe_size_ = size > 0 ? static_cast<size_t>(size) : 65536;
  }
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  // One page short of the pipe: a source range that starts mid-page spans one page more than its
  // length in whole pages, and each page takes a slot.
  const size_t step = pipe_size_ > page ? pipe_size_ - page : pipe_size_;
  while (*left > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(*left, step));
    const ssize_t got = ::splice(fd, in, pipe_[1], nullptr, want, SPLICE_F_MOVE);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) return ShortSource(*left, length);
    if (got < 0) {
      if (!Unsupported(errno)) {
        return absl::InternalError(absl::StrCat(path_, ": copy failed: ", std::strerror(errno)));
      }
      splice_usable_ = false;
      return absl::OkStatus();
    }
    // Drain the pipe into the output before filling it again.
    size_t in_pipe = static_cast<size_t>(got);
    while (in_pipe > 0) {
      const ssize_t put = ::splice(pipe_[0], nullptr, fd_, nullptr, in_pipe, SPLICE_F_MOVE);
      if (put < 0 && errno == EINTR) continue;
      if (put > 0) {
        in_pipe -= static_cast<size_t>(put);
        continue;
      }
      if (put < 0 && !Unsupported(errno)) {
        const int err = errno;
        ClosePipe();  // what it still holds must not reach a later copy
        return absl::InternalError(absl::StrCat(path_, ": write failed: ", std::strerror(err)));
      }
      // The output's filesystem takes no spliced writes: empty the pipe through a buffer and
      // let the next way take over.
      std::string buffer(in_pipe, '\0');
      size_t done = 0;
      while (done < in_pipe) {
        const ssize_t r = ::read(pipe_[0], &buffer[done], in_pipe - done);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
          const int err = r < 0 ? errno : EIO;
          ClosePipe();
          return absl::InternalError(
              absl::StrCat(path_, ": reading the copy pipe failed: ", std::strerror(err)));
        }
        done += static_cast<size_t>(r);
      }
      RETURN_IF_ERROR(WriteAll(buffer));
      in_pipe = 0;
      splice_usable_ = false;
    }
    *left -= static_cast<uint64_t>(got);
    if (!splice_usable_) return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status OutputFile::CopyRangeFrom(int fd, loff_t* in, uint64_t* left, uint64_t length) {
  while (*left > 0) {
    const ssize_t n = ::copy_file_range(
        fd, in, fd_, nullptr, static_cast<size_t>(std::min<uint64_t>(*left, 1u << 30)), 0);
    if (n > 0) {
      *left -= static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return ShortSource(*left, length);
    if (!Unsupported(errno)) {
      return absl::InternalError(absl::StrCat(path_, ": copy failed: ", std::strerror(errno)));
    }
    copy_range_usable_ = false;
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status OutputFile::ReadFrom(int fd, loff_t* in, uint64_t* left, uint64_t length) {
  std::string buffer(static_cast<size_t>(std::min<uint64_t>(*left, kBufferSize)), '\0');
  while (*left > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(*left, buffer.size()));
    const ssize_t got = ::pread(fd, &buffer[0], want, *in);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) return ShortSource(*left, length);
    if (got < 0) {
      return absl::DataLossError(absl::StrCat(path_, ": source read failed ", *left,
                                              " bytes short of the ", length,
                                              " to copy: ", std::strerror(errno)));
    }
    RETURN_IF_ERROR(WriteAll(absl::string_view(buffer.data(), static_cast<size_t>(got))));
    *in += got;
    *left -= static_cast<uint64_t>(got);
  }
  return absl::OkStatus();
}

absl::Status OutputFile::Commit() {
  absl::Status s = FlushBuffer();
  if (!s.ok()) return s;
  if (temp_path_.empty()) {
    // Unnamed: link it in under the destination's name directly when that is free; otherwise
    // under a temporary name renamed over the destination (the only moment it has a name of its
    // own, guarded like the fallback's temporaries).
    int err = LinkUnnamed(fd_, path_);
    if (err == EEXIST) {
      const std::string temp = TempName(path_);
      RegisterTemporary(temp);
      err = LinkUnnamed(fd_, temp);
      if (err == 0 && ::rename(temp.c_str(), path_.c_str()) != 0) {
        err = errno;
        ::unlink(temp.c_str());
      }
      UnregisterTemporary(temp);
    }
    if (err != 0) {
      return absl::InternalError(
          absl::StrCat(path_, ": cannot give the output its name: ", std::strerror(err)));
    }
  } else if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return absl::InternalError(absl::StrCat(path_, ": rename failed: ", std::strerror(errno)));
  } else {
    UnregisterTemporary(temp_path_);
  }
  committed_ = true;
  ClosePipe();
  if (::close(fd_) != 0) {
    fd_ = -1;
    return absl::InternalError(absl::StrCat(path_, ": close failed: ", std::strerror(errno)));
  }
  fd_ = -1;
  return absl::OkStatus();
}

namespace {

// The byte range of the source file `t` is a view of, when its bytes can be copied as they are.
bool FileExtent(const Tensor& t, uint64_t* offset, uint64_t* bytes) {
  const MappedFile* f = t.mapped_file();
  if (f == nullptr || f->fd() < 0 || !t.is_dense_host_order() || t.num_elements() == 0) {
    return false;
  }
  const uintptr_t base = reinterpret_cast<uintptr_t>(f->data());
  const uintptr_t start = reinterpret_cast<uintptr_t>(t.data());
  *bytes = static_cast<uint64_t>(t.nbytes());
  if (base == 0 || start < base || start - base > f->size() ||
      *bytes > f->size() - (start - base)) {
    return false;
  }
  *offset = start - base;
  return true;
}

}  // namespace

bool MovableInKernel(const Tensor& t) {
  uint64_t offset = 0, bytes = 0;
  return FileExtent(t, &offset, &bytes);
}

absl::Status WriteTensorBytes(OutputFile& out, const Tensor& t) {
  uint64_t offset = 0, bytes = 0;
  if (FileExtent(t, &offset, &bytes)) return out.CopyFrom(t.mapped_file()->fd(), offset, bytes);
  constexpr int64_t kBlock = int64_t{1} << 18;  // elements; a multiple of the q8_0 block
  return ForEachBlock(t, kBlock, [&](const TensorBlock& b) {
    return out.Write(b.data, static_cast<size_t>(b.bytes));
  });
}

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace tp
