/* The side log the power-loss interposer (interpose.c) writes for each store file it
 * tracks and powerloss_test reads back. C and C++.
 *
 * Grammar (native byte order: writer and reader run on the same machine):
 *   log    := record*
 *   record := magic:u32(=kPlMagic) type:u32 seq:u64 offset:u64 length:u64 bytes(length)
 * `seq` increases by one per record, across every tracked file of the process, and is
 * assigned after the operation it records completed. Record types:
 *   kPlWrite       bytes `length` bytes written at file offset `offset` (not yet durable)
 *   kPlDsyncWrite  the same through an O_DSYNC/O_SYNC descriptor: durable on return
 *   kPlFlush       an fsync/fdatasync that started when the next seq was `offset` completed
 *                  without error: every write record with seq < offset is durable
 *   kPlTruncate    ftruncate to `offset` bytes
 *   kPlNote        an operation with no durability effect that the reader may count;
 *                  `offset` is a kPlNote* kind (length 0)
 * A reader stops at the first record that is incomplete (the process was killed while
 * writing it) or has a bad magic; the write it described is then treated as never
 * having reached the disk, which is one of the outcomes a power cut allows anyway.
 */
#ifndef DURASTORE_TESTS_POWERLOSS_POWERLOSS_LOG_H_
#define DURASTORE_TESTS_POWERLOSS_POWERLOSS_LOG_H_

#include <stdint.h>

#define kPlMagic 0x31574c50u /* "PLW1" */
#define kPlLogSuffix ".pl-log"

enum PlRecordType {
  kPlWrite = 1,
  kPlDsyncWrite = 2,
  kPlFlush = 3,
  kPlTruncate = 4,
  kPlNote = 5,
};

enum PlNoteKind {
  kPlNoteOpen = 1,           /* the file was opened (again) */
  kPlNoteMsync = 2,          /* msync: not treated as a flush (the store never maps for write) */
  kPlNoteSyncFileRange = 3,  /* sync_file_range: never durable (no metadata, no disk cache) */
  kPlNoteFailedFlush = 4,    /* fsync/fdatasync returned an error */
  kPlNoteInjectedEnospc = 5, /* a write was failed with ENOSPC by the fault mode */
};

struct PlRecordHeader {
  uint32_t magic;
  uint32_t type;
  uint64_t seq;
  uint64_t offset;
  uint64_t length;
};

#endif /* DURASTORE_TESTS_POWERLOSS_POWERLOSS_LOG_H_ */
