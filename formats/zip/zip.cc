#include "formats/zip/zip.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/byte_reader.h"
#include "core/status_macros.h"
#include "formats/zip/zip_format.h"

namespace tp {
namespace {

using zip_format::kLocalSig;
using zip_format::kCentralSig;
using zip_format::kZip64EocdSig;
using zip_format::kZip64ExtraId;
using zip_format::kMax32;
using zip_format::kMax16;
using zip_format::kEocdSize;
using zip_format::kLocalHeaderSize;
using zip_format::kCentralHeaderSize;
using zip_format::kZip64EocdSize;
using zip_format::kZip64LocatorSize;
using zip_format::kMaxDeflateRatio;
using zip_format::Quoted;
using zip_format::Crc32;


struct Eocd {
  uint64_t entries = 0;
  uint64_t cd_size = 0;
  uint64_t cd_offset = 0;
  uint64_t record_offset = 0;  // where the (zip64, when present) end record starts
};

absl::StatusOr<Eocd> FindEocd(absl::string_view bytes, const std::string& path) {
  if (bytes.size() < kEocdSize) {
    return absl::OutOfRangeError(absl::StrCat(path, ": ZIP archive is ", bytes.size(),
                                              " bytes, expected at least ", kEocdSize,
                                              " for the end-of-central-directory record"));
  }
  // The record is the last 22 bytes plus a comment of up to 65535 bytes; scan backwards.
  const uint64_t lowest = bytes.size() > kEocdSize + kMax16 ? bytes.size() - kEocdSize - kMax16 : 0;
  uint64_t pos = bytes.size() - kEocdSize;
  bool found = false;
  while (true) {
    if (static_cast<uint8_t>(bytes[pos]) == 0x50 && bytes.substr(pos, 4) == "PK\5\6") {
      uint16_t comment_len;
      std::memcpy(&comment_len, bytes.data() + pos + 20, 2);
      if (pos + kEocdSize + comment_len <= bytes.size()) {
        found = true;
        break;
      }
    }
    if (pos == lowest) break;
    --pos;
  }
  if (!found) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no ZIP end-of-central-directory record (\"PK\\5\\6\") in the last ",
                     bytes.size() - lowest, " bytes; expected a ZIP archive (truncated?)"));
  }
  ByteReader r(bytes, path);
  RETURN_IF_ERROR(r.Seek(pos + 4, "end-of-central-directory record"));
  ASSIGN_OR_RETURN(uint16_t disk, r.Read<uint16_t>("EOCD disk number"));
  ASSIGN_OR_RETURN(uint16_t cd_disk, r.Read<uint16_t>("EOCD central directory disk"));
  ASSIGN_OR_RETURN(uint16_t entries_disk, r.Read<uint16_t>("EOCD entries on disk"));
  ASSIGN_OR_RETURN(uint16_t entries, r.Read<uint16_t>("EOCD entry count"));
  ASSIGN_OR_RETURN(uint32_t cd_size, r.Read<uint32_t>("EOCD central directory size"));
  ASSIGN_OR_RETURN(uint32_t cd_offset, r.Read<uint32_t>("EOCD central directory offset"));
  Eocd e{entries, cd_size, cd_offset, pos};

  // A ZIP64 locator sits right before the classic record when present.
  if (pos >= kZip64LocatorSize && bytes.substr(pos - kZip64LocatorSize, 4) == "PK\6\7") {
    RETURN_IF_ERROR(r.Seek(pos - kZip64LocatorSize + 4, "ZIP64 locator"));
    ASSIGN_OR_RETURN(uint32_t z_disk, r.Read<uint32_t>("ZIP64 locator disk"));
    ASSIGN_OR_RETURN(uint64_t z_offset, r.Read<uint64_t>("ZIP64 locator offset"));
    ASSIGN_OR_RETURN(uint32_t z_disks, r.Read<uint32_t>("ZIP64 locator disk count"));
    if (z_disk != 0 || z_disks > 1) {
      return absl::UnimplementedError(absl::StrCat(
          path, ": ZIP64 locator names disk ", z_disk, " of ", z_disks,
          "; multi-disk archives are not supported"));
    }
    // Archives with data prepended shift every offset; trust the position when the stated one
    // does not hold the record.
    uint64_t z_pos = z_offset;
    const uint64_t expected_pos = pos - kZip64LocatorSize - kZip64EocdSize;
    if (pos < kZip64LocatorSize + kZip64EocdSize) {
      return absl::OutOfRangeError(absl::StrCat(path, ": ZIP64 locator at offset ",
                                                pos - kZip64LocatorSize,
                                                " leaves no room for the ZIP64 end record"));
    }
    if (z_pos > bytes.size() - 4 || bytes.substr(z_pos, 4) != "PK\6\6") z_pos = expected_pos;
    RETURN_IF_ERROR(r.Seek(z_pos, "ZIP64 end record"));
    ASSIGN_OR_RETURN(uint32_t sig, r.Read<uint32_t>("ZIP64 end record signature"));
    if (sig != kZip64EocdSig) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ZIP64 end record at offset ", z_pos, " has signature 0x",
                       absl::Hex(sig), ", expected 0x", absl::Hex(kZip64EocdSig)));
    }
    RETURN_IF_ERROR(r.Skip(8 + 2 + 2, "ZIP64 end record"));
    ASSIGN_OR_RETURN(uint32_t disk64, r.Read<uint32_t>("ZIP64 disk number"));
    ASSIGN_OR_RETURN(uint32_t cd_disk64, r.Read<uint32_t>("ZIP64 central directory disk"));
    RETURN_IF_ERROR(r.Skip(8, "ZIP64 entries on disk"));
    ASSIGN_OR_RETURN(e.entries, r.Read<uint64_t>("ZIP64 entry count"));
    ASSIGN_OR_RETURN(e.cd_size, r.Read<uint64_t>("ZIP64 central directory size"));
    ASSIGN_OR_RETURN(e.cd_offset, r.Read<uint64_t>("ZIP64 central directory offset"));
    e.record_offset = z_pos;
    disk = static_cast<uint16_t>(std::min<uint32_t>(disk64, kMax16));
    cd_disk = static_cast<uint16_t>(std::min<uint32_t>(cd_disk64, kMax16));
    entries_disk = 0;
  } else if (cd_size == kMax32 || cd_offset == kMax32) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": end-of-central-directory fields are 0xFFFFFFFF (ZIP64) but no ZIP64 locator "
              "precedes the record at offset ",
        pos));
  }
  (void)entries_disk;
  if (disk != 0 || cd_disk != 0) {
    return absl::UnimplementedError(absl::StrCat(path, ": archive spans disks (disk ", disk,
                                                 ", central directory on disk ", cd_disk,
                                                 "); multi-disk archives are not supported"));
  }
  if (e.cd_size > e.record_offset) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": central directory size ", e.cd_size, " exceeds the ", e.record_offset,
        " bytes before the end record"));
  }
  return e;
}

// Reads the ZIP64 extra field (id 1) values for the fields that were saturated.
absl::Status ApplyZip64Extra(absl::string_view extra, const std::string& what, bool need_usize,
                             bool need_csize, bool need_offset, uint64_t* usize, uint64_t* csize,
                             uint64_t* offset) {
  ByteReader r(extra, what);
  while (r.remaining() >= 4) {
    ASSIGN_OR_RETURN(uint16_t id, r.Read<uint16_t>("extra field id"));
    ASSIGN_OR_RETURN(uint16_t len, r.Read<uint16_t>("extra field length"));
    ASSIGN_OR_RETURN(absl::string_view body, r.ReadBytes(len, "extra field"));
    if (id != kZip64ExtraId) continue;
    ByteReader z(body, absl::StrCat(what, " ZIP64 extra field"));
    if (need_usize) {
      ASSIGN_OR_RETURN(*usize, z.Read<uint64_t>("uncompressed size"));
    }
    if (need_csize) {
      ASSIGN_OR_RETURN(*csize, z.Read<uint64_t>("compressed size"));
    }
    if (need_offset) {
      ASSIGN_OR_RETURN(*offset, z.Read<uint64_t>("local header offset"));
    }
    return absl::OkStatus();
  }
  if (need_usize || need_csize || need_offset) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": 32-bit size or offset is 0xFFFFFFFF but there is no ZIP64 extra "
                           "field (id 0x0001) to hold the real value"));
  }
  return absl::OkStatus();
}

// Reads local headers with pread on a descriptor of its own instead of through the mapping:
// touching a mapped header faults in a whole fault-around window (or large folio) of the data
// after it, so a scan of a 1 GiB archive of 256 entries kept tens of MiB resident. When the
// file cannot be opened again as the same regular file of the same size (renamed or replaced
// since it was mapped), the bytes are copied from the mapping as before.
class HeaderSource {
 public:
  explicit HeaderSource(const MappedFile& file) : file_(file) {
    fd_ = ::open(file.path().c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd_ >= 0 && (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) ||
                     static_cast<uint64_t>(st.st_size) != file.size())) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~HeaderSource() {
    if (fd_ >= 0) ::close(fd_);
  }
  HeaderSource(const HeaderSource&) = delete;
  HeaderSource& operator=(const HeaderSource&) = delete;

  // Copies `n` bytes at `offset` (already bounds-checked against the mapping) into `out`.
  absl::Status Read(uint64_t offset, size_t n, char* out, absl::string_view what) const {
    if (fd_ < 0) {
      std::memcpy(out, file_.data() + offset, n);
      return absl::OkStatus();
    }
    size_t done = 0;
    while (done < n) {
      const ssize_t got = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        return absl::DataLossError(absl::StrCat(
            file_.path(), ": ", what, " at offset ", offset, ": read ", done, " of ", n,
            " bytes", got < 0 ? absl::StrCat(" (", std::strerror(errno), ")") : std::string(),
            "; expected the file not to change while it is read"));
      }
      done += static_cast<size_t>(got);
    }
    return absl::OkStatus();
  }

 private:
  const MappedFile& file_;
  int fd_ = -1;
};

}  // namespace

bool LooksLikeZip(absl::string_view head) {
  return head.size() >= 4 && (head.substr(0, 4) == "PK\3\4" || head.substr(0, 4) == "PK\5\6");
}

absl::StatusOr<std::unique_ptr<ZipReader>> ZipReader::Open(const std::string& path) {
  ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, MappedFile::Open(path));
  return FromMapped(std::move(file));
}

absl::StatusOr<std::unique_ptr<ZipReader>> ZipReader::FromMapped(
    std::shared_ptr<const MappedFile> file) {
  const std::string& path = file->path();
  const absl::string_view bytes = file->bytes();
  ASSIGN_OR_RETURN(Eocd eocd, FindEocd(bytes, path));

  // Data prepended to the archive shifts all offsets by the same amount.
  const uint64_t cd_start = eocd.record_offset - eocd.cd_size;
  if (eocd.cd_offset > cd_start) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": central directory offset ", eocd.cd_offset,
                     " plus its size ", eocd.cd_size, " runs past the end record at offset ",
                     eocd.record_offset));
  }
  const uint64_t shift = cd_start - eocd.cd_offset;

  ByteReader r(bytes.substr(0, eocd.record_offset), path);
  RETURN_IF_ERROR(r.Seek(cd_start, "central directory"));
  RETURN_IF_ERROR(r.CheckCount(eocd.entries, kCentralHeaderSize, "central directory entry"));

  auto reader = std::unique_ptr<ZipReader>(new ZipReader());
  reader->entries_.reserve(eocd.entries);
  const HeaderSource headers(*file);
  for (uint64_t i = 0; i < eocd.entries; ++i) {
    const std::string what = absl::StrCat("central directory entry ", i);
    ASSIGN_OR_RETURN(uint32_t sig, r.Read<uint32_t>(what));
    if (sig != kCentralSig) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": ", what, " at offset ", r.offset() - 4, " has signature 0x", absl::Hex(sig),
          ", expected 0x", absl::Hex(kCentralSig), " (\"PK\\1\\2\")"));
    }
    RETURN_IF_ERROR(r.Skip(4, what));  // versions
    ASSIGN_OR_RETURN(uint16_t flags, r.Read<uint16_t>(what));
    ZipEntry e;
    ASSIGN_OR_RETURN(e.method, r.Read<uint16_t>(what));
    RETURN_IF_ERROR(r.Skip(4, what));  // time, date
    ASSIGN_OR_RETURN(e.crc32, r.Read<uint32_t>(what));
    ASSIGN_OR_RETURN(uint32_t csize32, r.Read<uint32_t>(what));
    ASSIGN_OR_RETURN(uint32_t usize32, r.Read<uint32_t>(what));
    ASSIGN_OR_RETURN(uint16_t name_len, r.Read<uint16_t>(what));
    ASSIGN_OR_RETURN(uint16_t extra_len, r.Read<uint16_t>(what));
    ASSIGN_OR_RETURN(uint16_t comment_len, r.Read<uint16_t>(what));
    RETURN_IF_ERROR(r.Skip(8, what));  // disk start, attributes
    ASSIGN_OR_RETURN(uint32_t offset32, r.Read<uint32_t>(what));
    ASSIGN_OR_RETURN(absl::string_view name, r.ReadBytes(name_len, absl::StrCat(what, " name")));
    e.name = std::string(name);
    const std::string entry_what = absl::StrCat(path, ": entry ", Quoted(e.name));
    ASSIGN_OR_RETURN(absl::string_view extra,
                     r.ReadBytes(extra_len, absl::StrCat(what, " extra field")));
    RETURN_IF_ERROR(r.Skip(comment_len, absl::StrCat(what, " comment")));

    e.compressed_size = csize32;
    e.uncompressed_size = usize32;
    uint64_t local_offset = offset32;
    RETURN_IF_ERROR(ApplyZip64Extra(extra, entry_what, usize32 == kMax32, csize32 == kMax32,
                                    offset32 == kMax32, &e.uncompressed_size,
                                    &e.compressed_size, &local_offset));
    if (flags & 0x1) {
      return absl::UnimplementedError(
          absl::StrCat(entry_what, ": is encrypted (flag bit 0); encryption is not supported"));
    }
    if (e.method != 0 && e.method != 8) {
      return absl::UnimplementedError(absl::StrCat(entry_what, ": compression method ", e.method,
                                                   ", expected 0 (stored) or 8 (deflated)"));
    }
    if (e.method == 0 && e.compressed_size != e.uncompressed_size) {
      return absl::InvalidArgumentError(
          absl::StrCat(entry_what, ": stored entry has compressed size ", e.compressed_size,
                       " but uncompressed size ", e.uncompressed_size, "; expected them equal"));
    }

    // The local header gives the data offset (its name and extra lengths may differ from the
    // central directory's).
    if (local_offset > cd_start - shift) {
      return absl::InvalidArgumentError(absl::StrCat(entry_what, ": local header offset ",
                                                     local_offset,
                                                     " is past the central directory at ",
                                                     cd_start - shift));
    }
    // The cursor only does the bounds arithmetic; the header bytes come through `headers` (a
    // pread into a small buffer), so the scan does not fault the mapping's pages in.
    ByteReader l(bytes.substr(0, cd_start), path);
    RETURN_IF_ERROR(l.Seek(local_offset + shift, absl::StrCat("entry ", Quoted(e.name),
                                                              " local header")));
    const std::string lwhat = absl::StrCat("entry ", Quoted(e.name), " local header");
    char lbuf[kLocalHeaderSize];
    const size_t lavail = static_cast<size_t>(std::min<uint64_t>(kLocalHeaderSize, l.remaining()));
    RETURN_IF_ERROR(headers.Read(l.offset(), lavail, lbuf, lwhat));
    RETURN_IF_ERROR(l.Need(4, lwhat));
    uint32_t lsig;
    std::memcpy(&lsig, lbuf, 4);
    RETURN_IF_ERROR(l.Skip(4, lwhat));
    if (lsig != kLocalSig) {
      return absl::InvalidArgumentError(absl::StrCat(
          entry_what, ": local header at offset ", local_offset + shift, " has signature 0x",
          absl::Hex(lsig), ", expected 0x", absl::Hex(kLocalSig), " (\"PK\\3\\4\")"));
    }
    RETURN_IF_ERROR(l.Skip(22, lwhat));
    uint16_t lname_len, lextra_len;
    RETURN_IF_ERROR(l.Need(2, lwhat));
    std::memcpy(&lname_len, lbuf + 26, 2);
    RETURN_IF_ERROR(l.Skip(2, lwhat));
    RETURN_IF_ERROR(l.Need(2, lwhat));
    std::memcpy(&lextra_len, lbuf + 28, 2);
    RETURN_IF_ERROR(l.Skip(2, lwhat));
    RETURN_IF_ERROR(l.Skip(static_cast<uint64_t>(lname_len) + lextra_len,
                           absl::StrCat(lwhat, " name and extra field")));
    e.data_offset = l.offset();
    RETURN_IF_ERROR(l.Need(e.compressed_size, absl::StrCat("entry ", Quoted(e.name), " data (",
                                                           e.compressed_size, " bytes)")));
    reader->entries_.push_back(std::move(e));
  }
  // Entries whose data overlap reuse one compressed stream many times (the overlapping-file zip
  // bomb); no writer of .npz or .pt files does that.
  std::vector<const ZipEntry*> by_offset;
  for (const ZipEntry& e : reader->entries_) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const ZipEntry* a, const ZipEntry* b) {
    return a->data_offset < b->data_offset;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const ZipEntry& a = *by_offset[i - 1];
    const ZipEntry& b = *by_offset[i];
    if (a.compressed_size > 0 && a.data_offset + a.compressed_size > b.data_offset) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": entry ", Quoted(b.name), " at offset ", b.data_offset, " overlaps entry ",
          Quoted(a.name), " (", a.compressed_size, " bytes at ", a.data_offset,
          "); expected entries with their own data"));
    }
  }
  reader->file_ = std::move(file);
  return reader;
}

const ZipEntry* ZipReader::Find(absl::string_view name) const {
  for (const ZipEntry& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

namespace {

// Inflates one entry front to back, a window at a time: the compressed bytes come from the
// mapping (their pages are dropped as they are consumed), the output goes straight into the
// caller's buffer. The declared size and the CRC-32 are checked when the end is reached; a
// stream that would inflate past the declared size stops at once.
class InflateStream : public ByteStream {
 public:
  InflateStream(std::shared_ptr<const MappedFile> file, ZipEntry entry, std::string what)
      : file_(std::move(file)), entry_(std::move(entry)), what_(std::move(what)) {}
  ~InflateStream() override {
    if (initialized_) inflateEnd(&zs_);
  }

  absl::Status Init() {
    std::memset(&zs_, 0, sizeof(zs_));
    if (inflateInit2(&zs_, -MAX_WBITS) != Z_OK) {
      return absl::InternalError(absl::StrCat(what_, ": inflateInit2 failed"));
    }
    initialized_ = true;
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> Read(uint8_t* out, size_t n) override {
    if (finished_ || n == 0) return size_t{0};
    const uint64_t left = entry_.uncompressed_size - produced_;
    if (left == 0) {
      // Everything declared has arrived: the stream must end here, with the right CRC.
      uint8_t spare;
      RETURN_IF_ERROR(Inflate(&spare, 1, /*expect_end=*/true).status());
      return Finish();
    }
    ASSIGN_OR_RETURN(size_t got, Inflate(out, std::min<uint64_t>(n, left), false));
    if (got == 0) return Finish();
    produced_ += got;
    crc_ = static_cast<uint32_t>(crc32(crc_, out, static_cast<uInt>(got)));
    return got;
  }

 private:
  static constexpr uint64_t kInputWindow = uint64_t{1} << 20;

  // Inflates up to n bytes (n < 2^32); returns how many, 0 at the end of the deflate stream.
  absl::StatusOr<size_t> Inflate(uint8_t* out, size_t n, bool expect_end) {
    zs_.next_out = out;
    zs_.avail_out = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    const uInt asked = zs_.avail_out;
    while (zs_.avail_out > 0 && !stream_end_) {
      if (zs_.avail_in == 0 && consumed_ < entry_.compressed_size) {
        // Give back the input window just consumed before mapping the next one in.
        ReleaseConsumed();
        const uint64_t m = std::min(kInputWindow, entry_.compressed_size - consumed_);
        zs_.next_in = const_cast<Bytef*>(file_->data() + entry_.data_offset + consumed_);
        zs_.avail_in = static_cast<uInt>(m);
        consumed_ += m;
      }
      const int ret = inflate(&zs_, Z_NO_FLUSH);
      if (ret == Z_STREAM_END) {
        stream_end_ = true;
        break;
      }
      if (ret == Z_OK) continue;
      if (ret == Z_BUF_ERROR && zs_.avail_in == 0 && consumed_ >= entry_.compressed_size) {
        return absl::OutOfRangeError(absl::StrCat(
            what_, ": deflate stream ends after ", entry_.compressed_size, " compressed bytes with ",
            produced_ + (asked - zs_.avail_out), " of ", entry_.uncompressed_size,
            " bytes inflated (truncated?)"));
      }
      return absl::InvalidArgumentError(absl::StrCat(what_, ": corrupt deflate data (zlib: ",
                                                     zs_.msg ? zs_.msg : "no progress", ")"));
    }
    const size_t got = asked - zs_.avail_out;
    if (expect_end && got > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          what_, ": inflates to more than the declared ", entry_.uncompressed_size, " bytes"));
    }
    return got;
  }

  // Drops the pages of compressed input zlib has finished with (from the last release on).
  void ReleaseConsumed() {
    if (consumed_ > released_) {
      file_->Release(entry_.data_offset + released_, consumed_ - released_);
      released_ = consumed_;
    }
  }

  absl::StatusOr<size_t> Finish() {
    finished_ = true;
    ReleaseConsumed();
    if (produced_ != entry_.uncompressed_size) {
      return absl::OutOfRangeError(absl::StrCat(what_, ": inflated to ", produced_,
                                                " bytes, expected ", entry_.uncompressed_size));
    }
    if (crc_ != entry_.crc32) {
      return absl::DataLossError(absl::StrCat(what_, ": CRC-32 is 0x", absl::Hex(crc_),
                                              ", expected 0x", absl::Hex(entry_.crc32)));
    }
    return size_t{0};
  }

  std::shared_ptr<const MappedFile> file_;
  ZipEntry entry_;
  std::string what_;
  z_stream zs_;
  bool initialized_ = false;
  bool stream_end_ = false;
  bool finished_ = false;
  uint64_t consumed_ = 0;  // compressed bytes handed to zlib
  uint64_t released_ = 0;  // compressed bytes whose pages were given back
  uint64_t produced_ = 0;  // inflated bytes returned
  uint32_t crc_ = 0;
};

// An entry's bytes from `skip` on, as a ByteSource: every Open() inflates from the start and
// discards the first `skip` bytes (an .npy header already parsed).
class EntrySource : public ByteSource {
 public:
  EntrySource(std::shared_ptr<const ZipReader> zip, ZipEntry entry, uint64_t skip)
      : zip_(std::move(zip)), entry_(std::move(entry)), skip_(skip) {}
  uint64_t size() const override { return entry_.uncompressed_size - skip_; }
  std::string Describe() const override {
    return absl::StrCat(zip_->file()->path(), ": entry ", Quoted(entry_.name));
  }
  absl::StatusOr<std::unique_ptr<ByteStream>> Open() const override {
    ASSIGN_OR_RETURN(std::unique_ptr<ByteStream> s, zip_->OpenStream(entry_));
    uint8_t discard[4096];
    for (uint64_t left = skip_; left > 0;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(left, sizeof(discard)));
      RETURN_IF_ERROR(ReadFully(*s, discard, n, Describe()));
      left -= n;
    }
    return s;
  }

 private:
  std::shared_ptr<const ZipReader> zip_;
  ZipEntry entry_;
  uint64_t skip_;
};

}  // namespace

namespace {
std::atomic<double> g_default_max_inflate_ratio{kDefaultMaxInflateRatio};
}  // namespace

void SetDefaultMaxInflateRatio(double ratio) { g_default_max_inflate_ratio = ratio; }
double DefaultMaxInflateRatio() { return g_default_max_inflate_ratio; }

absl::Status ZipReader::CheckEntry(const ZipEntry& entry) const {
  const std::string what = absl::StrCat(file_->path(), ": entry ", Quoted(entry.name));
  if (entry.data_offset > file_->size() ||
      entry.compressed_size > file_->size() - entry.data_offset) {
    return absl::OutOfRangeError(absl::StrCat(what, ": data at offset ", entry.data_offset,
                                              " of ", entry.compressed_size,
                                              " bytes runs past the end of the ", file_->size(),
                                              "-byte file"));
  }
  if (entry.method != 0 && entry.method != 8) {
    return absl::UnimplementedError(absl::StrCat(what, ": compression method ", entry.method,
                                                 ", expected 0 (stored) or 8 (deflated)"));
  }
  if (entry.method == 8) {
    if (entry.uncompressed_size / kMaxDeflateRatio > entry.compressed_size + 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": declares ", entry.uncompressed_size, " bytes inflated from ",
          entry.compressed_size, " compressed; deflate cannot expand more than ",
          kMaxDeflateRatio, ":1"));
    }
    if (max_inflate_ratio_ > 0 &&
        static_cast<double>(entry.uncompressed_size) >
            max_inflate_ratio_ * static_cast<double>(std::max<uint64_t>(entry.compressed_size, 1))) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": declares ", entry.uncompressed_size, " bytes inflated from ",
          entry.compressed_size, " compressed, a ratio above the limit of ", max_inflate_ratio_,
          ":1 (--max-inflate-ratio raises it)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ByteStream>> ZipReader::OpenStream(const ZipEntry& entry) const {
  RETURN_IF_ERROR(CheckEntry(entry));
  const std::string what = absl::StrCat(file_->path(), ": entry ", Quoted(entry.name));
  if (entry.method == 0) {
    // A stored entry read as a stream: pread windows, CRC checked at the end.
    class StoredStream : public ByteStream {
     public:
      StoredStream(std::shared_ptr<const MappedFile> file, ZipEntry entry, std::string what)
          : file_(std::move(file)), entry_(std::move(entry)), what_(std::move(what)) {}
      absl::StatusOr<size_t> Read(uint8_t* out, size_t n) override {
        const uint64_t left = entry_.compressed_size - done_;
        if (left == 0) {
          if (!checked_) {
            checked_ = true;
            if (crc_ != entry_.crc32) {
              return absl::DataLossError(absl::StrCat(what_, ": CRC-32 is 0x", absl::Hex(crc_),
                                                      ", expected 0x", absl::Hex(entry_.crc32)));
            }
          }
          return size_t{0};
        }
        const size_t m = static_cast<size_t>(std::min<uint64_t>({left, n, uint64_t{1} << 30}));
        RETURN_IF_ERROR(file_->ReadAt(entry_.data_offset + done_, out, m));
        crc_ = static_cast<uint32_t>(crc32(crc_, out, static_cast<uInt>(m)));
        done_ += m;
        return m;
      }

     private:
      std::shared_ptr<const MappedFile> file_;
      ZipEntry entry_;
      std::string what_;
      uint64_t done_ = 0;
      uint32_t crc_ = 0;
      bool checked_ = false;
    };
    return std::unique_ptr<ByteStream>(new StoredStream(file_, entry, what));
  }
  auto stream = std::make_unique<InflateStream>(file_, entry, what);
  RETURN_IF_ERROR(stream->Init());
  return std::unique_ptr<ByteStream>(std::move(stream));
}

std::shared_ptr<const ByteSource> ZipReader::Source(std::shared_ptr<const ZipReader> zip,
                                                    const ZipEntry& entry, uint64_t skip) {
  return std::make_shared<EntrySource>(std::move(zip), entry, std::min(skip, entry.uncompressed_size));
}

absl::StatusOr<ZipData> ZipReader::Read(const ZipEntry& entry, bool verify_crc) const {
  RETURN_IF_ERROR(CheckEntry(entry));
  const std::string what = absl::StrCat(file_->path(), ": entry ", Quoted(entry.name));
  const absl::string_view raw = file_->bytes().substr(entry.data_offset, entry.compressed_size);
  ZipData out;
  if (entry.method == 0) {
    out.bytes_ = raw;
    out.keep_alive_ = file_;
    out.mapped_file_ = file_;
    if (verify_crc) {
      const uint32_t crc = Crc32(0, raw);
      if (crc != entry.crc32) {
        return absl::DataLossError(absl::StrCat(what, ": CRC-32 is 0x", absl::Hex(crc),
                                                ", expected 0x", absl::Hex(entry.crc32)));
      }
    }
    return out;
  }
  // Inflated whole: the buffer grows with the bytes that arrive (never sized by the declared
  // size alone), and the stream checks the size and CRC-32 at the end.
  ASSIGN_OR_RETURN(std::unique_ptr<ByteStream> stream, OpenStream(entry));
  auto buffer = std::make_shared<std::string>();
  size_t have = 0;
  constexpr size_t kStep = size_t{4} << 20;
  while (true) {
    if (have == buffer->size()) {
      // Doubling from kStep, capped at what is still declared; at least one byte so the end of
      // the stream (where the CRC is checked) is always read.
      const uint64_t declared_left =
          entry.uncompressed_size > have ? entry.uncompressed_size - have : 0;
      const uint64_t grow = std::min<uint64_t>(declared_left, std::max(kStep, have));
      buffer->resize(have + std::max<uint64_t>(grow, 1));
    }
    ASSIGN_OR_RETURN(size_t n, stream->Read(reinterpret_cast<uint8_t*>(&(*buffer)[have]),
                                            buffer->size() - have));
    if (n == 0) break;
    have += n;
  }
  buffer->resize(have);
  out.bytes_ = *buffer;
  out.keep_alive_ = std::move(buffer);
  return out;
}

}  // namespace tp
