#include "checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "coding.h"
#include "crc32c.h"
#include "file_util.h"
#include "status_macros.h"

namespace durastore::internal {
namespace {

constexpr char kMagic[8] = {'D', 'S', 'C', 'K', 'P', 'T', '0', '1'};
constexpr size_t kSlotSize = 512;
constexpr size_t kMetaAt = 72;
static_assert(kMetaAt + kMetaCopySize <= kSlotSize);

// LMDB 0.9 meta page layout (lmdb.h is opaque about it; mdb.c defines it): the page
// header is mp_pgno:size_t mp_pad:u16 mp_flags:u16 lower:u16 upper:u16 (16 bytes), then
// MDB_meta: magic:u32 version:u32 address:ptr mapsize:size_t dbs:2*48 last_pg:size_t
// txnid:size_t. Native byte order.
constexpr size_t kPageFlagsAt = 10;
constexpr uint16_t kPageMeta = 0x08;
constexpr size_t kMagicAt = 16;
constexpr uint32_t kLmdbMagic = 0xBEEFC0DE;
constexpr size_t kLastPageAt = 16 + 120;
constexpr size_t kTxnIdAt = 16 + 128;

template <typename T>
T Native(const std::string& bytes, size_t at) {
  T v;
  std::memcpy(&v, bytes.data() + at, sizeof(v));
  return v;
}

std::optional<Checkpoint> DecodeSlot(const char* s) {
  if (std::memcmp(s, kMagic, 8) != 0) return std::nullopt;
  if (GetLe(s + 8, 4) != Crc32cExtend(0, s + 12, kSlotSize - 12)) return std::nullopt;
  Checkpoint c;
  uint64_t meta_len = GetLe(s + 12, 4);
  if (meta_len != kMetaCopySize) return std::nullopt;
  c.seq = GetLe(s + 16, 8);
  c.lsn = GetLe(s + 24, 8);
  c.txnid = GetLe(s + 32, 8);
  c.log_id = GetLe(s + 40, 8);
  c.next.slot = GetLe(s + 48, 8);
  c.next.offset = GetLe(s + 56, 8);
  c.page_size = static_cast<uint32_t>(GetLe(s + 64, 4));
  c.clean = GetLe(s + 68, 4) == 1;
  c.meta.assign(s + kMetaAt, meta_len);
  return c;
}

}  // namespace

Result<std::optional<Checkpoint>> ReadCheckpoint(const std::string& dir) {
  std::string path = dir + "/" + kCheckpointFile;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<Checkpoint>();
    return ErrnoStatus("cannot open", path, errno);
  }
  char buf[2 * kSlotSize] = {};
  ssize_t n = ::pread(fd, buf, sizeof(buf), 0);
  ::close(fd);
  std::optional<Checkpoint> best;
  for (size_t i = 0; n > 0 && i < 2; ++i) {
    if (static_cast<size_t>(n) < (i + 1) * kSlotSize) break;
    auto c = DecodeSlot(buf + i * kSlotSize);
    if (c && (!best || c->seq > best->seq)) best = std::move(c);
  }
  if (!best) {
    return Status::Corruption(path + " holds no valid checkpoint: the store cannot be recovered");
  }
  return best;
}

Status WriteCheckpoint(int fd, const Checkpoint& c, const SyncFn& sync) {
  char s[kSlotSize] = {};
  std::memcpy(s, kMagic, 8);
  PutLe(s + 12, c.meta.size(), 4);
  PutLe(s + 16, c.seq, 8);
  PutLe(s + 24, c.lsn, 8);
  PutLe(s + 32, c.txnid, 8);
  PutLe(s + 40, c.log_id, 8);
  PutLe(s + 48, c.next.slot, 8);
  PutLe(s + 56, c.next.offset, 8);
  PutLe(s + 64, c.page_size, 4);
  PutLe(s + 68, c.clean ? 1 : 0, 4);
  std::memcpy(s + kMetaAt, c.meta.data(), std::min(c.meta.size(), kMetaCopySize));
  PutLe(s + 8, Crc32cExtend(0, s + 12, kSlotSize - 12), 4);
  RETURN_IF_ERROR(WriteFull(fd, s, kSlotSize, (c.seq & 1) * kSlotSize, "write to CHECKPOINT"));
  int err = sync(fd);
  if (err != 0) return ErrnoStatus("flush of the checkpoint file", err);
  return Status::OK();
}

Result<std::string> ReadMetaPage(int data_fd, uint64_t txnid, uint32_t page_size) {
  std::string meta(kMetaCopySize, '\0');
  if (!ReadFull(data_fd, meta.data(), meta.size(), (txnid & 1) * page_size)) {
    return ErrnoStatus("cannot read the LMDB meta page", errno != 0 ? errno : EIO);
  }
  if ((Native<uint16_t>(meta, kPageFlagsAt) & kPageMeta) == 0 ||
      Native<uint32_t>(meta, kMagicAt) != kLmdbMagic || Native<uint64_t>(meta, kTxnIdAt) != txnid) {
    return Status::Corruption("LMDB meta page " + std::to_string(txnid & 1) +
                              " does not hold transaction " + std::to_string(txnid));
  }
  return meta;
}

Result<std::string> CheckMetaPages(const std::string& data_path, const Checkpoint& c) {
  if (c.meta.size() != kMetaCopySize || c.page_size < kMetaCopySize) {
    return Status::Corruption("checkpoint holds no usable meta page copy");
  }
  int fd = ::open(data_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open", data_path, errno);
  std::string damage;
  for (uint64_t page = 0; page < 2; ++page) {
    std::string meta(kMetaCopySize, '\0');
    bool read = ReadFull(fd, meta.data(), meta.size(), page * c.page_size);
    const uint64_t txnid = read ? Native<uint64_t>(meta, kTxnIdAt) : 0;
    std::string what;
    if (!read) {
      what = "cannot be read (the file is too short)";
    } else if ((Native<uint16_t>(meta, kPageFlagsAt) & kPageMeta) == 0 ||
               Native<uint32_t>(meta, kMagicAt) != kLmdbMagic ||
               Native<uint32_t>(meta, kMagicAt + 4) != 1 || Native<uint64_t>(meta, 0) != page) {
      what = "is not an LMDB meta page";
    } else if (txnid == c.txnid && meta.compare(8, std::string::npos, c.meta, 8) != 0) {
      what = "differs from the checkpoint's copy of transaction " + std::to_string(txnid);
    }
    if (!what.empty()) {
      damage += (damage.empty() ? "" : "; ") + ("meta page " + std::to_string(page) + " " + what);
    }
  }
  ::close(fd);
  return damage;
}

Status RestoreMetaPages(const std::string& data_path, const Checkpoint& c, const SyncFn& sync) {
  if (c.meta.size() != kMetaCopySize || c.page_size < kMetaCopySize) {
    return Status::Corruption("checkpoint holds no usable meta page copy");
  }
  int fd = ::open(data_path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open", data_path, errno);
  struct stat st;
  uint64_t needed = (Native<uint64_t>(c.meta, kLastPageAt) + 1) * c.page_size;
  Status s;
  if (::fstat(fd, &st) != 0) {
    s = ErrnoStatus("cannot stat", data_path, errno);
  } else if (static_cast<uint64_t>(st.st_size) < needed) {
    s = Status::Corruption(data_path + " is " + std::to_string(st.st_size) +
                           " bytes, shorter than its checkpoint's " + std::to_string(needed));
  }
  for (uint64_t page = 0; s.ok() && page < 2; ++page) {
    std::string copy = c.meta;
    std::memcpy(copy.data(), &page, sizeof(page));  // mp_pgno (size_t, native order)
    s = WriteFull(fd, copy.data(), copy.size(), page * c.page_size, "restore of a meta page");
  }
  if (s.ok()) {
    int err = sync(fd);
    if (err != 0) s = ErrnoStatus("flush of restored meta pages of " + data_path, err);
  }
  ::close(fd);
  return s;
}

}  // namespace durastore::internal
