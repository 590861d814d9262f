/* LD_PRELOAD library for the power-loss simulation (powerloss_test.cc).
 *
 * It watches the files named `data.mdb` (or the comma-separated names in
 * DURASTORE_POWERLOSS_FILES, where a name ending in `*` matches every name it begins) inside the
 * directory DURASTORE_POWERLOSS_DIR and, for each, appends to `<file>.pl-log` every write that
 * reached the page cache and every flush that completed (record grammar: powerloss_log.h). After
 * the test SIGKILLs the process, the log and the file as it was at process start are enough to
 * rebuild the file as a power cut at that moment could have left it: everything up to the last
 * completed flush, plus any subset of the later writes' 4 KiB pages.
 *
 * The log needs no fsync of its own: only the process is killed, the kernel keeps
 * everything written to the log's page cache.
 *
 * Interposed: open/openat/creat (+64, fortified variants) to learn the descriptors of
 * the tracked files; write, pwrite, writev, pwritev, pwritev2 (+64); fsync, fdatasync,
 * sync, syncfs (flushes); msync and sync_file_range (noted, never treated as durable);
 * ftruncate; close/dup2/dup3 (descriptor reuse). io_uring submissions bypass libc, so a
 * store must run with its fdatasync flusher under this library. Only the file's content
 * is modelled: directory entries and file metadata other than the size are not.
 *
 * Fault modes (fault_test.cc), for the tracked files only, read once at the first call:
 *   DURASTORE_FAULT_ENOSPC_AFTER_BYTES=N  once this process has written N bytes to tracked
 *     files, every later write/pwrite/writev/pwritev/pwritev2 to them fails with ENOSPC
 *     (whole writes only: a write that starts below N completes, so no short writes).
 *   DURASTORE_FAULT_ENOSPC_FILE=<path>    with the above: the disk is full only while
 *     <path> exists, so deleting it "returns the space" (checked on every write).
 *   DURASTORE_FAULT_SHORT_WRITES=1        with the above: the write that crosses N bytes is
 *     cut short at N, as a real file system does with the space it has left (LMDB reports
 *     a short write as EIO, and retrying the rest gets ENOSPC).
 * While the disk is full (any ENOSPC mode, limit reached), statvfs/fstatvfs (and their 64
 * variants) report no free or available blocks, for every file system.
 *   DURASTORE_FAULT_FLUSH_EIO_AFTER=N     after N successful fsync/fdatasync calls on
 *     tracked files, every later one fails with EIO without flushing (a failed flush
 *     leaves the file's durable state unknown; here it is "nothing later was flushed").
 * Injected failures are logged as kPlNoteInjectedEnospc / kPlNoteFailedFlush notes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* Both the plain and the 64 names are defined below (they are one ABI on LP64). */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "powerloss_log.h"

enum { kMaxFds = 65536, kMaxFiles = 64, kDsyncBit = 0x100, kIovBatch = 64 };

struct TrackedFile {
  char path[PATH_MAX];
  int log_fd;
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct TrackedFile g_files[kMaxFiles]; /* guarded by g_mu */
static int g_nfiles;                          /* guarded by g_mu */
static uint64_t g_seq = 1;                    /* guarded by g_mu: the next record's seq */
/* fd -> 0 (not tracked) or (file index + 1) | kDsyncBit; read without the mutex. */
static int g_fd_file[kMaxFds];

static int (*real_open)(const char*, int, ...);
static int (*real_openat)(int, const char*, int, ...);
static ssize_t (*real_write)(int, const void*, size_t);
static ssize_t (*real_pwrite)(int, const void*, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec*, int);
static ssize_t (*real_pwritev)(int, const struct iovec*, int, off_t);
static ssize_t (*real_pwritev2)(int, const struct iovec*, int, off_t, int);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static void (*real_sync)(void);
static int (*real_syncfs)(int);
static int (*real_msync)(void*, size_t, int);
static int (*real_sync_file_range)(int, off_t, off_t, unsigned int);
static int (*real_ftruncate)(int, off_t);
static int (*real_close)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_statvfs)(const char*, struct statvfs*);
static int (*real_statvfs64)(const char*, struct statvfs64*);
static int (*real_fstatvfs)(int, struct statvfs*);
static int (*real_fstatvfs64)(int, struct statvfs64*);

static void Resolve1(void* slot, const char* name) {
  void* p = dlsym(RTLD_NEXT, name);
  if (p == NULL) {
    static const char msg[] = "powerloss interposer: a libc symbol is missing\n";
    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) abort();
    abort();
  }
  memcpy(slot, &p, sizeof(p));
}

static void ResolveAll(void) {
  Resolve1(&real_open, "open");
  Resolve1(&real_openat, "openat");
  Resolve1(&real_write, "write");
  Resolve1(&real_pwrite, "pwrite");
  Resolve1(&real_writev, "writev");
  Resolve1(&real_pwritev, "pwritev");
  Resolve1(&real_pwritev2, "pwritev2");
  Resolve1(&real_fsync, "fsync");
  Resolve1(&real_fdatasync, "fdatasync");
  Resolve1(&real_sync, "sync");
  Resolve1(&real_syncfs, "syncfs");
  Resolve1(&real_msync, "msync");
  Resolve1(&real_sync_file_range, "sync_file_range");
  Resolve1(&real_ftruncate, "ftruncate");
  Resolve1(&real_close, "close");
  Resolve1(&real_dup2, "dup2");
  Resolve1(&real_dup3, "dup3");
  Resolve1(&real_statvfs, "statvfs");
  Resolve1(&real_statvfs64, "statvfs64");
  Resolve1(&real_fstatvfs, "fstatvfs");
  Resolve1(&real_fstatvfs64, "fstatvfs64");
}

/* Fault mode configuration (read once) and counters. */
static int g_enospc_armed;
static uint64_t g_enospc_after_bytes;
static const char* g_enospc_file; /* NULL: the disk stays full once the limit is reached */
static int g_short_writes;        /* the write crossing the limit is cut short */
static int g_eio_armed;
static uint64_t g_eio_after_flushes;
static uint64_t g_bytes_written; /* atomic: bytes written to tracked files */
static uint64_t g_flushes_done;  /* atomic: successful flushes of tracked files */

static int EnvU64(const char* name, uint64_t* out) {
  const char* v = getenv(name);
  if (v == NULL || *v == '\0') return 0;
  *out = strtoull(v, NULL, 10);
  return 1;
}

static void ResolveAllAndConfigure(void) {
  ResolveAll();
  g_enospc_armed = EnvU64("DURASTORE_FAULT_ENOSPC_AFTER_BYTES", &g_enospc_after_bytes);
  const char* file = getenv("DURASTORE_FAULT_ENOSPC_FILE");
  g_enospc_file = file != NULL && *file != '\0' ? file : NULL;
  uint64_t short_writes = 0;
  g_short_writes = EnvU64("DURASTORE_FAULT_SHORT_WRITES", &short_writes) && short_writes != 0;
  g_eio_armed = EnvU64("DURASTORE_FAULT_FLUSH_EIO_AFTER", &g_eio_after_flushes);
}

static void Init(void) { pthread_once(&g_once, ResolveAllAndConfigure); }

static int TrackedIndex(int fd) {
  if (fd < 0 || fd >= kMaxFds) return -1;
  int v = __atomic_load_n(&g_fd_file[fd], __ATOMIC_ACQUIRE);
  return v == 0 ? -1 : (v & 0xff) - 1;
}

static int IsDsync(int fd) {
  return (__atomic_load_n(&g_fd_file[fd], __ATOMIC_ACQUIRE) & kDsyncBit) != 0;
}

static void Untrack(int fd) {
  if (fd >= 0 && fd < kMaxFds) __atomic_store_n(&g_fd_file[fd], 0, __ATOMIC_RELEASE);
}

/* Writes every byte of iov[0..n) to the log, resuming after partial writes. */
static void WriteAllV(int fd, struct iovec* iov, int n) {
  while (n > 0) {
    ssize_t w = real_writev(fd, iov, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      abort(); /* a broken log would make the simulation lie */
    }
    size_t left = (size_t)w;
    while (n > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --n;
    }
    if (n > 0) {
      iov->iov_base = (char*)iov->iov_base + left;
      iov->iov_len -= left;
    }
  }
}

/* Appends one record whose payload is the first `length` bytes of data[0..n). Caller
 * holds g_mu. */
static void AppendLocked(int file, uint32_t type, uint64_t offset, const struct iovec* data, int n,
                         uint64_t length) {
  struct PlRecordHeader h = {kPlMagic, type, g_seq++, offset, length};
  struct iovec iov[kIovBatch + 1];
  int k = 0;
  iov[k].iov_base = &h;
  iov[k++].iov_len = sizeof(h);
  uint64_t left = length;
  for (int i = 0; i < n && left > 0; ++i) {
    size_t len = data[i].iov_len < left ? data[i].iov_len : (size_t)left;
    iov[k].iov_base = data[i].iov_base;
    iov[k++].iov_len = len;
    left -= len;
    if (k == kIovBatch + 1) {
      WriteAllV(g_files[file].log_fd, iov, k);
      k = 0;
    }
  }
  if (k > 0) WriteAllV(g_files[file].log_fd, iov, k);
}

static void Note(int file, uint64_t kind) {
  pthread_mutex_lock(&g_mu);
  AppendLocked(file, kPlNote, kind, NULL, 0, 0);
  pthread_mutex_unlock(&g_mu);
}

/* Returns the index of the tracked file at canonical path `path`, opening its log on
 * first use; -1 if `path` is not a file to track. */
static int FileIndexFor(const char* path) {
  const char* dir = getenv("DURASTORE_POWERLOSS_DIR");
  if (dir == NULL || *dir == '\0') return -1;
  char canon_dir[PATH_MAX];
  if (realpath(dir, canon_dir) == NULL) return -1;
  size_t dlen = strlen(canon_dir);
  if (strncmp(path, canon_dir, dlen) != 0 || path[dlen] != '/') return -1;
  const char* base = path + dlen + 1;
  const char* names = getenv("DURASTORE_POWERLOSS_FILES");
  if (names == NULL || *names == '\0') names = "data.mdb";
  size_t blen = strlen(base);
  int match = 0;
  for (const char* p = names; *p != '\0';) {
    const char* end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len > 0 && p[len - 1] == '*') {
      if (blen >= len - 1 && strncmp(p, base, len - 1) == 0) match = 1;
    } else if (len == blen && strncmp(p, base, len) == 0) {
      match = 1;
    }
    p += len + (end ? 1 : 0);
  }
  if (!match) return -1;
  for (int i = 0; i < g_nfiles; ++i) {
    if (strcmp(g_files[i].path, path) == 0) return i;
  }
  if (g_nfiles == kMaxFiles || strlen(path) + sizeof(kPlLogSuffix) > PATH_MAX) abort();
  struct TrackedFile* f = &g_files[g_nfiles];
  strcpy(f->path, path);
  char log_path[PATH_MAX];
  snprintf(log_path, sizeof(log_path), "%s%s", path, kPlLogSuffix);
  f->log_fd = real_open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (f->log_fd < 0) abort();
  return g_nfiles++;
}

static void AfterOpen(int fd, int flags) {
  if (fd < 0 || fd >= kMaxFds) return;
  Untrack(fd);
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof(path) - 1);
  if (n <= 0) return;
  path[n] = '\0';
  pthread_mutex_lock(&g_mu);
  int file = FileIndexFor(path);
  if (file >= 0) {
    int dsync = (flags & (O_DSYNC | O_SYNC)) != 0 ? kDsyncBit : 0;
    __atomic_store_n(&g_fd_file[fd], (file + 1) | dsync, __ATOMIC_RELEASE);
    AppendLocked(file, kPlNote, kPlNoteOpen, NULL, 0, 0);
    if ((flags & O_TRUNC) != 0 && (flags & O_ACCMODE) != O_RDONLY) {
      AppendLocked(file, kPlTruncate, 0, NULL, 0, 0);
    }
  }
  pthread_mutex_unlock(&g_mu);
}

static int NeedsMode(int flags) {
  return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

/* Records a completed write of `written` bytes at `offset` (or, when offset < 0, ending
 * at the descriptor's current position). */
static void AfterWrite(int fd, const struct iovec* iov, int n, ssize_t written, off_t offset,
                       int dsync) {
  if (written <= 0) return;
  int file = TrackedIndex(fd);
  if (file < 0) return;
  if (offset < 0) offset = lseek(fd, 0, SEEK_CUR) - written;
  __atomic_add_fetch(&g_bytes_written, (uint64_t)written, __ATOMIC_RELEASE);
  pthread_mutex_lock(&g_mu);
  AppendLocked(file, dsync || IsDsync(fd) ? kPlDsyncWrite : kPlWrite, (uint64_t)offset, iov, n,
               (uint64_t)written);
  pthread_mutex_unlock(&g_mu);
}

/* Returns 1 (errno = ENOSPC, the failure noted in the log) when the ENOSPC fault mode
 * fails this write to `fd`. */
static int InjectEnospc(int fd) {
  if (!g_enospc_armed) return 0;
  int file = TrackedIndex(fd);
  if (file < 0) return 0;
  if (__atomic_load_n(&g_bytes_written, __ATOMIC_ACQUIRE) < g_enospc_after_bytes) return 0;
  if (g_enospc_file != NULL && access(g_enospc_file, F_OK) != 0) return 0;
  Note(file, kPlNoteInjectedEnospc);
  errno = ENOSPC;
  return 1;
}

/* True while the ENOSPC fault mode has filled the disk. */
static int DiskFull(void) {
  if (!g_enospc_armed) return 0;
  if (__atomic_load_n(&g_bytes_written, __ATOMIC_ACQUIRE) < g_enospc_after_bytes) return 0;
  return g_enospc_file == NULL || access(g_enospc_file, F_OK) == 0;
}

/* How many of `count` bytes a write to `fd` may write: all, or with short writes armed,
 * what is left below the limit when this write crosses it. */
static size_t Allowed(int fd, size_t count) {
  if (!g_enospc_armed || !g_short_writes || TrackedIndex(fd) < 0) return count;
  if (g_enospc_file != NULL && access(g_enospc_file, F_OK) != 0) return count;
  uint64_t done = __atomic_load_n(&g_bytes_written, __ATOMIC_ACQUIRE);
  if (done >= g_enospc_after_bytes || done + count <= g_enospc_after_bytes) return count;
  return (size_t)(g_enospc_after_bytes - done);
}

/* Copies `iov` into `out` (room for `max` entries), cut to `allowed` bytes; returns the
 * number of entries. */
static int CutIov(const struct iovec* iov, int n, size_t allowed, struct iovec* out, int max) {
  int k = 0;
  for (int i = 0; i < n && k < max && allowed > 0; ++i) {
    out[k] = iov[i];
    if (out[k].iov_len > allowed) out[k].iov_len = allowed;
    allowed -= out[k].iov_len;
    ++k;
  }
  return k;
}

static size_t IovBytes(const struct iovec* iov, int n) {
  size_t total = 0;
  for (int i = 0; i < n; ++i) total += iov[i].iov_len;
  return total;
}

enum { kMaxIov = 1024 };

/* Returns 1 (errno = EIO, the failure noted in the log) when the flush fault mode fails
 * this flush of tracked file `file`. */
static int InjectFlushEio(int file) {
  if (!g_eio_armed || file < 0) return 0;
  if (__atomic_load_n(&g_flushes_done, __ATOMIC_ACQUIRE) < g_eio_after_flushes) return 0;
  Note(file, kPlNoteFailedFlush);
  errno = EIO;
  return 1;
}

/* Runs a flush of tracked file `file` (all files when -1) and records it on success.
 * DURASTORE_POWERLOSS_LYING_DISK=1 leaves flushes out of the log (a disk that acknowledges
 * flushes it never did), so the test can prove it notices lost commits. */
static int Flush(int file, int (*op)(int), int fd) {
  const char* lying = getenv("DURASTORE_POWERLOSS_LYING_DISK");
  if (lying != NULL && strcmp(lying, "1") == 0) file = -2;
  pthread_mutex_lock(&g_mu);
  uint64_t start = g_seq; /* every record before this one is covered by the flush */
  pthread_mutex_unlock(&g_mu);
  int rc = 0;
  if (op != NULL) {
    rc = op(fd);
  } else {
    real_sync();
  }
  int saved = errno;
  pthread_mutex_lock(&g_mu);
  for (int i = 0; i < g_nfiles; ++i) {
    if (file != -1 && i != file) continue; /* -2: lying disk, record nothing */
    if (rc == 0) {
      __atomic_add_fetch(&g_flushes_done, 1, __ATOMIC_RELEASE);
      AppendLocked(i, kPlFlush, start, NULL, 0, 0);
    } else {
      AppendLocked(i, kPlNote, kPlNoteFailedFlush, NULL, 0, 0);
    }
  }
  pthread_mutex_unlock(&g_mu);
  errno = saved;
  return rc;
}

/* ---- interposed entry points ---- */

int open(const char* path, int flags, ...);
int open64(const char* path, int flags, ...);
int openat(int dirfd, const char* path, int flags, ...);
int openat64(int dirfd, const char* path, int flags, ...);
int __open_2(const char* path, int flags);
int __open64_2(const char* path, int flags);
int __openat_2(int dirfd, const char* path, int flags);
int __openat64_2(int dirfd, const char* path, int flags);

static int DoOpenat(int dirfd, const char* path, int flags, mode_t mode) {
  Init();
  int fd = real_openat(dirfd, path, flags, mode);
  if (fd >= 0) AfterOpen(fd, flags);
  return fd;
}

#define OPEN_MODE(flags, mode) \
  mode_t mode = 0;             \
  if (NeedsMode(flags)) {      \
    va_list ap;                \
    va_start(ap, flags);       \
    mode = va_arg(ap, mode_t); \
    va_end(ap);                \
  }

int open(const char* path, int flags, ...) {
  OPEN_MODE(flags, mode);
  return DoOpenat(AT_FDCWD, path, flags, mode);
}
int open64(const char* path, int flags, ...) {
  OPEN_MODE(flags, mode);
  return DoOpenat(AT_FDCWD, path, flags, mode);
}
int openat(int dirfd, const char* path, int flags, ...) {
  OPEN_MODE(flags, mode);
  return DoOpenat(dirfd, path, flags, mode);
}
int openat64(int dirfd, const char* path, int flags, ...) {
  OPEN_MODE(flags, mode);
  return DoOpenat(dirfd, path, flags, mode);
}
int __open_2(const char* path, int flags) { return DoOpenat(AT_FDCWD, path, flags, 0); }
int __open64_2(const char* path, int flags) { return DoOpenat(AT_FDCWD, path, flags, 0); }
int __openat_2(int dirfd, const char* path, int flags) { return DoOpenat(dirfd, path, flags, 0); }
int __openat64_2(int dirfd, const char* path, int flags) { return DoOpenat(dirfd, path, flags, 0); }
int creat(const char* path, mode_t mode) {
  return DoOpenat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}
int creat64(const char* path, mode_t mode) {
  return DoOpenat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

ssize_t write(int fd, const void* buf, size_t count) {
  Init();
  if (InjectEnospc(fd)) return -1;
  count = Allowed(fd, count);
  ssize_t r = real_write(fd, buf, count);
  struct iovec iov = {(void*)buf, count};
  AfterWrite(fd, &iov, 1, r, -1, 0);
  return r;
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  Init();
  if (InjectEnospc(fd)) return -1;
  count = Allowed(fd, count);
  ssize_t r = real_pwrite(fd, buf, count, offset);
  struct iovec iov = {(void*)buf, count};
  AfterWrite(fd, &iov, 1, r, offset, 0);
  return r;
}
ssize_t pwrite64(int fd, const void* buf, size_t count, off64_t offset) {
  return pwrite(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int n) {
  Init();
  if (InjectEnospc(fd)) return -1;
  struct iovec cut[kMaxIov];
  const size_t allowed = Allowed(fd, IovBytes(iov, n));
  if (allowed < IovBytes(iov, n)) {
    n = CutIov(iov, n, allowed, cut, kMaxIov);
    iov = cut;
  }
  ssize_t r = real_writev(fd, iov, n);
  AfterWrite(fd, iov, n, r, -1, 0);
  return r;
}

ssize_t pwritev(int fd, const struct iovec* iov, int n, off_t offset) {
  Init();
  if (InjectEnospc(fd)) return -1;
  struct iovec cut[kMaxIov];
  const size_t allowed = Allowed(fd, IovBytes(iov, n));
  if (allowed < IovBytes(iov, n)) {
    n = CutIov(iov, n, allowed, cut, kMaxIov);
    iov = cut;
  }
  ssize_t r = real_pwritev(fd, iov, n, offset);
  AfterWrite(fd, iov, n, r, offset, 0);
  return r;
}
ssize_t pwritev64(int fd, const struct iovec* iov, int n, off64_t offset) {
  return pwritev(fd, iov, n, offset);
}

ssize_t pwritev2(int fd, const struct iovec* iov, int n, off_t offset, int flags) {
  Init();
  if (InjectEnospc(fd)) return -1;
  struct iovec cut[kMaxIov];
  const size_t allowed = Allowed(fd, IovBytes(iov, n));
  if (allowed < IovBytes(iov, n)) {
    n = CutIov(iov, n, allowed, cut, kMaxIov);
    iov = cut;
  }
  ssize_t r = real_pwritev2(fd, iov, n, offset, flags);
  AfterWrite(fd, iov, n, r, offset, (flags & (RWF_DSYNC | RWF_SYNC)) != 0);
  return r;
}
ssize_t pwritev64v2(int fd, const struct iovec* iov, int n, off64_t offset, int flags) {
  return pwritev2(fd, iov, n, offset, flags);
}

/* A full disk has no free blocks, whichever file system is asked about. */
int statvfs(const char* path, struct statvfs* buf) {
  Init();
  int r = real_statvfs(path, buf);
  if (r == 0 && DiskFull()) buf->f_bfree = buf->f_bavail = 0;
  return r;
}
int statvfs64(const char* path, struct statvfs64* buf) {
  Init();
  int r = real_statvfs64(path, buf);
  if (r == 0 && DiskFull()) buf->f_bfree = buf->f_bavail = 0;
  return r;
}
int fstatvfs(int fd, struct statvfs* buf) {
  Init();
  int r = real_fstatvfs(fd, buf);
  if (r == 0 && DiskFull()) buf->f_bfree = buf->f_bavail = 0;
  return r;
}
int fstatvfs64(int fd, struct statvfs64* buf) {
  Init();
  int r = real_fstatvfs64(fd, buf);
  if (r == 0 && DiskFull()) buf->f_bfree = buf->f_bavail = 0;
  return r;
}

int fsync(int fd) {
  Init();
  int file = TrackedIndex(fd);
  if (InjectFlushEio(file)) return -1;
  return file < 0 ? real_fsync(fd) : Flush(file, real_fsync, fd);
}

int fdatasync(int fd) {
  Init();
  int file = TrackedIndex(fd);
  if (InjectFlushEio(file)) return -1;
  return file < 0 ? real_fdatasync(fd) : Flush(file, real_fdatasync, fd);
}

void sync(void) {
  Init();
  Flush(-1, NULL, -1);
}

int syncfs(int fd) {
  Init();
  return Flush(-1, real_syncfs, fd);
}

int msync(void* addr, size_t length, int flags) {
  Init();
  int rc = real_msync(addr, length, flags);
  pthread_mutex_lock(&g_mu);
  for (int i = 0; i < g_nfiles; ++i) AppendLocked(i, kPlNote, kPlNoteMsync, NULL, 0, 0);
  pthread_mutex_unlock(&g_mu);
  return rc;
}

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags) {
  Init();
  int rc = real_sync_file_range(fd, offset, nbytes, flags);
  int file = TrackedIndex(fd);
  if (file >= 0) Note(file, kPlNoteSyncFileRange);
  return rc;
}

int ftruncate(int fd, off_t length) {
  Init();
  int rc = real_ftruncate(fd, length);
  int file = TrackedIndex(fd);
  if (rc == 0 && file >= 0) {
    pthread_mutex_lock(&g_mu);
    AppendLocked(file, kPlTruncate, (uint64_t)length, NULL, 0, 0);
    pthread_mutex_unlock(&g_mu);
  }
  return rc;
}
int ftruncate64(int fd, off64_t length) { return ftruncate(fd, length); }

int close(int fd) {
  Init();
  Untrack(fd); /* before the real close: afterwards the number may already be reused */
  return real_close(fd);
}

int dup2(int oldfd, int newfd) {
  Init();
  if (oldfd != newfd) Untrack(newfd);
  return real_dup2(oldfd, newfd);
}

int dup3(int oldfd, int newfd, int flags) {
  Init();
  Untrack(newfd);
  return real_dup3(oldfd, newfd, flags);
}
