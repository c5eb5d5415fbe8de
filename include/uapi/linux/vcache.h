/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vcache: videos kept in kernel memory, served without copies.
 *
 * The device /dev/vcache holds named videos. A file descriptor of the device
 * starts unbound; VCACHE_IOC_CREATE or VCACHE_IOC_OPEN binds it to exactly one
 * video, once. From then on read(2), pread(2), readv(2), write(2), pwrite(2),
 * lseek(2) and mmap(2) on that descriptor address the bytes of that video, at
 * byte offset 0 and up.
 *
 * Life of a VOD video:
 *   LOADING  created by VCACHE_IOC_CREATE; bytes arrive by write(2)/pwrite(2)
 *            at any offset below the capacity, or through a writable shared
 *            mapping followed by VCACHE_IOC_COMMIT. The size is the highest
 *            byte written (or committed) plus one; unwritten holes read as
 *            zeros. A video still LOADING when its last descriptor and
 *            mapping go away was abandoned (its loader died or gave up): it
 *            is deleted then, so no half-built video stays in the cache.
 *   SEALED   after VCACHE_IOC_SEAL: immutable. Writes fail with EPERM,
 *            writable mappings are refused, and the video may be evicted
 *            when the cache needs memory and no descriptor or mapping uses it.
 *
 * Eviction takes the least recently released video first: the one whose
 * last descriptor or mapping went away the longest ago. A video held open
 * is in use, however long ago it was read. A pinned video (see
 * VCACHE_IOC_PIN) is never evicted.
 *
 * Memory pressure: besides its own limit (module parameter max_mb), the
 * cache gives memory back when the system runs short. Its shrinker tells
 * reclaim how many pages unused sealed videos hold and evicts them, least
 * recently released first, as reclaim asks (vcache_stats.evictions_pressure,
 * .shrink_pages). Module parameters, writable in
 * /sys/module/vcache/parameters/: shrink (bool, default Y) turns this off,
 * min_mb (default 0) is a floor the shrinker never takes the cache below.
 * The shrinker is global, not per memory cgroup: a video's pages are
 * charged to the cgroup of the task that wrote them, but the video is
 * shared by every reader on the machine, and the cgroup that paid for it
 * says nothing about who needs it now; reclaim in one cgroup would evict
 * videos other cgroups are about to read, while the pages of a cgroup's
 * own videos would only be found by walking them all. So the kernel asks
 * the cache for memory when the whole machine is short, not when one
 * cgroup hits its memory.max (the kernel calls a shrinker that is not
 * memcg-aware for the root's reclaim only).
 *
 * Memory cgroups: a video's pages are charged, as kernel memory, to the
 * memory cgroup of the task that makes them exist (the loader's write(2),
 * its fault on a writable mapping, a live stream's CREATE). A load that
 * reaches its cgroup's memory.max fails with ENOMEM once the cgroup's
 * reclaim cannot make room: write(2) returns ENOMEM (after a short count
 * for the bytes that fit), a writable mapping's fault raises SIGBUS,
 * CREATE and INDEX_APPEND return ENOMEM. The OOM killer is never called
 * for a video's memory, in a cgroup or when the whole machine is short
 * (the same errors then). ENOSPC stays the cache's own limit (max_mb).
 * The loader that gives up leaves nothing behind: its video, still
 * LOADING, is deleted when its last descriptor and mapping go, and its
 * pages are uncharged from the cgroup and the cache as they are freed.
 * Only the cache's own allocations fail this way: the loader's other
 * kernel memory at the limit (page tables, a new mapping, its own code
 * read back) is charged as usual and may still call the OOM killer.
 *
 * A video stays in the cache, with no descriptor open, until it is deleted
 * (VCACHE_IOC_DELETE) or evicted. Deleting only removes the name: descriptors
 * and mappings that already use the video keep working, and its memory is
 * freed when the last of them goes away.
 *
 * Access control: the device node's mode decides who may open it (0600 by
 * default; see udev/99-vcache.rules for a "vcache" group). A descriptor opened
 * O_RDONLY may OPEN, read, map read-only and query. CREATE, write, COMMIT,
 * SEAL and DELETE need a descriptor opened for writing, and fail with EBADF
 * otherwise (as write(2) does).
 *
 * Errors common to every ioctl:
 *   EFAULT  the argument pointer is not readable/writable.
 *   EINVAL  unknown flags, non-zero reserved or padding fields, a bad name.
 *   EBADFD  the call needs a bound descriptor and this one is not bound.
 *   ENOTTY  unknown ioctl number.
 * read(2), write(2), lseek(2) and mmap(2) on an unbound descriptor fail with
 * EBADFD too.
 */
#ifndef _UAPI_LINUX_VCACHE_H
#define _UAPI_LINUX_VCACHE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * Names: 1 to VCACHE_NAME_MAX - 1 bytes of valid UTF-8 followed by a NUL; no
 * '/', no control characters (U+0000-U+001F, U+007F-U+009F), not "." or
 * "..". Every byte after the terminating NUL must be zero (EINVAL otherwise),
 * so that the field can be extended later.
 */
#define VCACHE_NAME_MAX		64

/* Video states, as reported in vcache_info.state. */
#define VCACHE_STATE_LOADING	1	/* being written; not yet sealed */
#define VCACHE_STATE_SEALED	2	/* immutable */
#define VCACHE_STATE_LIVE	3	/* a live stream with its writer */
#define VCACHE_STATE_ENDED	4	/* a live stream whose writer is done */

/*
 * Live streams (VCACHE_CREATE_LIVE).
 *
 * A live stream is addressed by absolute byte offset: offset 0 is the first
 * byte ever written and offsets only grow. The kernel keeps the most recent
 * bytes in a ring of the capacity (rounded up to pages), allocated when the
 * stream is created. "head" is the offset of the next byte to come (the
 * size); the last quarter of the ring (rounded up to a page) is the
 * writer's landing zone, and the rest is the window readers can see:
 * [tail, head) with tail = max(0, head - window). Bytes below the tail are
 * gone: reading them fails with EOVERFLOW, which tells a viewer it fell
 * behind and should re-join at the latest keyframe (VCACHE_LOOKUP_LATEST).
 * A read that raced with the writer and may have seen overwritten bytes
 * fails the same way; a read that succeeds returned the stream's bytes.
 *
 * Writer: the descriptor that created the stream (another writable
 * descriptor cannot OPEN it: EBUSY). write(2), pwrite(2) and AIO PWRITE
 * append at the head whatever the offset. Zero-copy ingest: map the data
 * area writable, recv(2) straight into the landing zone at the head's place
 * in the ring (data area + head % ring size: the ring is mapped twice in a
 * row, so the zone is contiguous even across the wrap), then
 * VCACHE_IOC_COMMIT the new head; it must lie in [head, head + zone]
 * (EINVAL otherwise). splice(2) from a pipe into the device works too.
 * VCACHE_IOC_SEAL or the writer's close ends the stream (ENDED): readers
 * then get end of file at the head and POLLHUP. An ENDED stream is as final
 * as a sealed video: SEAL refuses (EBUSY) while a writable mapping of the
 * ring exists or a page of it is held from outside (see VCACHE_IOC_SEAL),
 * and the writer's close cannot happen before its mappings are gone (they
 * hold the descriptor). The close cannot be refused, though: a ring page
 * still held from outside then (pinned through the writer's mapping by
 * io_uring registered buffers, O_DIRECT or process_vm_writev(2) under way)
 * is replaced in the stream by a copy taken at the end, and viewers'
 * mappings of the ring fault again onto the copies. What the holder
 * writes into its page afterwards never reaches the stream; a read that
 * sees the end returns the final bytes. The copies are charged to the
 * cache (past its limit if eviction cannot make room: mem_used shows it)
 * and to the closing task's memory cgroup.
 *
 * Readers: every descriptor bound to a live stream follows it (as with
 * VCACHE_OPEN_FOLLOW): reads at the head wait for data. They may map the
 * control page and the data area read-only; see struct vcache_live_ctrl.
 * splice(2) from a live stream copies (the ring's pages are reused, so
 * handing them to a pipe could send torn data).
 *
 * splice(2) and sendfile(2) hand out a SEALED video's own pages, by
 * reference; from a video still LOADING (whose bytes may still be
 * rewritten) and from a live stream they copy into new pages, which are
 * charged to the reader's memory cgroup as pipe buffers are. Nothing put
 * into a pipe refers to the module: it may be unloaded while pipes still
 * hold a video's bytes.
 *
 * mmap(2) offsets of a live stream: 0 is the control page (one page,
 * read-only); from VCACHE_LIVE_DATA_PGOFF pages on, the ring, twice:
 *
 *   pgoff 0      1                     1 + N                 1 + 2N
 *        +------+---------------------+---------------------+
 *        | ctrl | ring pages 0..N-1   | ring pages 0..N-1   |
 *        +------+---------------------+---------------------+
 *                ^ data area           ^ the same N pages again
 *
 * N = ring_size / page size. Stream offset X lives at data area +
 * X % ring_size; a run of up to ring_size bytes from there is contiguous in
 * the mapping, wrap or not, because its continuation past the first copy's
 * end is the second copy's start: the same pages. With the head at H:
 *
 *   offsets:  tail = H - window          H            H + zone
 *             |<------ window ---------->|<-- zone --->|
 *             |  readers see these       | the writer  |
 *             |                          | lands here  |
 *
 * window + zone = ring_size: the zone overwrites the oldest bytes, already
 * below the tail, which no read returns (EOVERFLOW).
 */
#define VCACHE_LIVE_DATA_PGOFF	1

/* vcache_live_ctrl.flags */
#define VCACHE_LIVE_ENDED	(1U << 0)

/**
 * struct vcache_live_ctrl - the control page of a live stream
 * @head:      bytes written so far; read it with acquire semantics
 *             (__atomic_load_n(&ctrl->head, __ATOMIC_ACQUIRE)), then the
 *             bytes below it in the data area are valid...
 * @tail:      ...from here on, at the time head was written.
 * @ring_size: bytes in the ring; byte at offset o lives at data + o % ring.
 * @window:    how far behind the head readers may be: tail = head - window.
 * @zone:      the writer's landing zone: ring_size - window.
 * @flags:     VCACHE_LIVE_ENDED once the stream ended; set after the last
 *             head, so a head read after the flag (both with acquire
 *             semantics) is the stream's final size.
 * @__pad:     0.
 * @seq:       commits so far, for cheap change detection.
 *
 * To read [a, b) without a syscall: h = head (acquire); check
 * h - window <= a and b <= h; copy; then h2 = head (acquire, after a read
 * barrier); the copy is good if a >= h2 - window. The page is read-only.
 */
struct vcache_live_ctrl {
	__u64 head;
	__u64 tail;
	__u64 ring_size;
	__u64 window;
	__u64 zone;
	__u32 flags;
	__u32 __pad;
	__u64 seq;
};

/* vcache_create.flags: a live stream (see "Live streams"). */
#define VCACHE_CREATE_LIVE	(1U << 0)
/* vcache_create.flags: pinned from the start (see VCACHE_IOC_PIN). */
#define VCACHE_CREATE_PINNED	(1U << 1)
/*
 * Every vcache_create.flags bit this header defines; CREATE fails with
 * EINVAL if any other is set. A new flag joins the mask, so a program can
 * test "flags & ~VCACHE_CREATE_FLAGS" against the header it was built
 * with; a kernel older than that header refuses the new bits (EINVAL), it
 * never ignores them.
 */
#define VCACHE_CREATE_FLAGS	(VCACHE_CREATE_LIVE | VCACHE_CREATE_PINNED)

/**
 * struct vcache_create - argument of VCACHE_IOC_CREATE
 * @name:     name of the new video (see VCACHE_NAME_MAX).
 * @capacity: most bytes the video will hold, > 0. Memory is not reserved up
 *            front: pages are allocated as data arrives and charged to the
 *            writer's memory cgroup. A capacity larger than the cache's
 *            memory limit fails with EFBIG.
 * @fps_num:  frame rate as the exact rational fps_num / fps_den, e.g. 25/1,
 *            30000/1001 (29.97) or 60000/1001 (59.94). Both must be between
 *            1 and 1000000, and the rate between 1 and 1000 frames a second.
 *            Drop-frame timecode exists only at exactly 30000/1001 and
 *            60000/1001.
 * @fps_den:  see @fps_num.
 * @flags:    VCACHE_CREATE_LIVE for a live stream, VCACHE_CREATE_PINNED
 *            for a video eviction must never take; or 0. Bits outside
 *            VCACHE_CREATE_FLAGS: EINVAL.
 * @__pad:    must be 0.
 * @reserved: must be 0.
 *
 * A live stream's capacity is its ring (see "Live streams"): at least four
 * pages, allocated at once. Binds the descriptor to the new video (the
 * stream's writer). Errors: EEXIST (the name is taken),
 * EBUSY (the descriptor is already bound), EBADF (descriptor not writable),
 * ENOMEM (no memory, or the creator's memory cgroup is at its memory.max:
 * see "Memory cgroups" above), ENOSPC (the cache's limit, with nothing
 * left to evict).
 */
struct vcache_create {
	char name[VCACHE_NAME_MAX];
	__u64 capacity;
	__u32 fps_num;
	__u32 fps_den;
	__u32 flags;
	__u32 __pad;
	__u64 reserved[4];
};

/*
 * vcache_open.flags: VCACHE_OPEN_FOLLOW makes reads of a video that is still
 * LOADING wait for the data instead of returning 0 at the current size, like
 * `tail -f`. A read at or past the size then:
 *   - read(2)/pread(2): sleeps until bytes arrive there (EINTR/ERESTARTSYS
 *     on a signal), then returns what is there;
 *   - with O_NONBLOCK or RWF_NOWAIT: fails with EAGAIN;
 *   - kernel AIO (io_submit IOCB_CMD_PREAD/PREADV): is queued, io_submit
 *     returns at once, and the completion event comes when a writer brings
 *     the data; io_cancel(2) on it gives the event result -ECANCELED (the
 *     copy of a read whose data came meanwhile may already be under way:
 *     it then completes with its bytes); a descriptor may have at most
 *     1024 reads queued: one more completes at once with -EAGAIN;
 *   - io_uring: is never parked in the module. io_uring's first,
 *     non-blocking try gets EAGAIN, then it waits on poll(2) of the
 *     descriptor (which tells readiness at the file position, not at the
 *     read's offset) or, after its retries, in its worker thread,
 *     interruptibly; io_uring cancels either (IORING_OP_ASYNC_CANCEL, the
 *     ring's exit). Where the file position has data (a reader that gives
 *     offsets never moves it), poll(2) says ready at once and io_uring
 *     spends its retries (APOLL_MAX_RETRY in io_uring/poll.c: 128 in
 *     Linux 6.12) before the worker takes the read;
 *     with IOSQE_ASYNC the worker tries it and then waits itself;
 *   - returns 0 (end of file) once the video is sealed, or when no
 *     descriptor open for writing and no writable mapping remains (the
 *     loader gave up), and the offset is at or past the size.
 * poll(2)/epoll/IOCB_CMD_POLL: POLLIN when a read at the file position would
 * not wait, POLLHUP at end of file, POLLOUT on a writable descriptor while
 * the video is LOADING. Without FOLLOW, reads never wait and POLLIN is
 * always set.
 */
#define VCACHE_OPEN_FOLLOW	(1U << 0)

/**
 * struct vcache_open - argument of VCACHE_IOC_OPEN
 * @name:     name of an existing video.
 * @flags:    VCACHE_OPEN_FOLLOW, or 0.
 * @__pad:    must be 0.
 * @reserved: must be 0.
 *
 * Binds the descriptor to the video. Errors: ENOENT (no such video), EBUSY
 * (the descriptor is already bound, or it is open for writing and the video
 * is a live stream: its only writer is the descriptor that created it).
 */
struct vcache_open {
	char name[VCACHE_NAME_MAX];
	__u32 flags;
	__u32 __pad;
	__u64 reserved[3];
};

/**
 * struct vcache_commit - argument of VCACHE_IOC_COMMIT
 * @size:     the video's new size.
 * @flags:    must be 0.
 * @__pad:    must be 0.
 * @reserved: must be 0.
 *
 * A loader that wrote into a writable mapping (rather than with write(2))
 * tells the kernel that bytes [0, @size) now hold data. The size is absolute
 * so that repeating a COMMIT is harmless; a size below the current one
 * changes nothing (sizes never shrink). Errors: EPERM (sealed), EFBIG
 * (@size > capacity), EBADF (descriptor not writable).
 */
struct vcache_commit {
	__u64 size;
	__u32 flags;
	__u32 __pad;
	__u64 reserved[2];
};

/**
 * struct vcache_delete - argument of VCACHE_IOC_DELETE
 * @name:     name of the video to remove from the cache.
 * @flags:    must be 0.
 * @__pad:    must be 0.
 * @reserved: must be 0.
 *
 * Any descriptor opened for writing may delete any video by name, bound or
 * not. Users of the video keep it until they close and unmap it. Errors:
 * ENOENT, EBADF (descriptor not writable).
 */
struct vcache_delete {
	char name[VCACHE_NAME_MAX];
	__u32 flags;
	__u32 __pad;
	__u64 reserved[3];
};

/* vcache_info.flags */
#define VCACHE_INFO_DELETED	(1U << 0)	/* no longer reachable by name */
#define VCACHE_INFO_PINNED	(1U << 1)	/* never evicted: VCACHE_IOC_PIN */

/**
 * struct vcache_info - result of VCACHE_IOC_INFO (every field is written)
 * @name:           the video's name, NUL-padded.
 * @size:           bytes held: highest byte written or committed, plus one;
 *                  for a live stream, its head (bytes written so far).
 * @capacity:       the capacity given at creation.
 * @id:             a number unique to this video since the module was loaded
 *                  (a video deleted and created again under the same name
 *                  gets a new id); usable in HTTP entity tags.
 * @state:          VCACHE_STATE_*.
 * @flags:          VCACHE_INFO_*.
 * @fps_num:        frame rate numerator, as created.
 * @fps_den:        frame rate denominator, as created.
 * @open_count:     descriptors bound to the video.
 * @map_count:      mappings (VMAs) of the video.
 * @index_entries:  entries in the video's keyframe index (at most
 *                  VCACHE_INDEX_MAX; a u32 in netlink's
 *                  VCACHE_A_VIDEO_INDEX_ENTRIES).
 * @bytes_served:   bytes handed out by read(2) and its variants. Bytes
 *                  read through mappings are not counted: the kernel does
 *                  not see them.
 * @mem_bytes:      memory the video holds (data pages and bookkeeping).
 * @create_time_ns: CLOCK_REALTIME of creation, in nanoseconds.
 * @seal_time_ns:   CLOCK_REALTIME of the seal, or of a live stream's end;
 *                  0 while loading or live.
 * @access_time_ns: CLOCK_REALTIME of the last read or page fault (OPEN,
 *                  INFO and mmap(2) itself do not count).
 * @duration:       end of the indexed video in 90 kHz ticks: the last index
 *                  entry's time plus one frame; 0 without an index.
 * @tail:           live streams: oldest offset still readable (0 for VOD).
 * @window:         live streams: most bytes readable behind the head.
 * @viewers:        live streams: bound descriptors other than the writer.
 * @__pad:          written as 0.
 * @reserved:       written as 0.
 */
struct vcache_info {
	char name[VCACHE_NAME_MAX];
	__u64 size;
	__u64 capacity;
	__u64 id;
	__u32 state;
	__u32 flags;
	__u32 fps_num;
	__u32 fps_den;
	__u32 open_count;
	__u32 map_count;
	__u64 index_entries;
	__u64 bytes_served;
	__u64 mem_bytes;
	__u64 create_time_ns;
	__u64 seal_time_ns;
	__u64 access_time_ns;
	__u64 duration;
	__u64 tail;
	__u64 window;
	__u32 viewers;
	__u32 __pad;
	__u64 reserved[4];
};

/**
 * struct vcache_stats - result of VCACHE_IOC_STATS (every field is written)
 * @mem_used:     bytes of memory the cache holds now, in pages, including
 *                deleted videos that are still in use.
 * @mem_limit:    the cache's memory limit in bytes (module parameter
 *                max_mb; 0 there means a quarter of RAM).
 * @videos:       videos reachable by name.
 * @__pad:        written as 0.
 * @evictions:    videos evicted to make room since the module was loaded,
 *                for any of the three reasons below (their sum).
 * @bytes_served: bytes handed out by read(2) and its variants, all videos.
 * @aio_queued:   AIO reads that had to wait for data and were queued.
 * @aio_completed: queued AIO reads completed with data or end of file.
 * @aio_cancelled: queued AIO reads cancelled by io_cancel(2) or the exit of
 *                their submitter.
 * @evictions_limit: evictions to make room for new data under the cache's
 *                own limit (VCACHE_EVICT_LIMIT).
 * @evictions_pressure: evictions by the shrinker, because the system was
 *                short of memory (VCACHE_EVICT_PRESSURE).
 * @evictions_admin: evictions because the limit was lowered below what was
 *                in use: max_mb written, or netlink's LIMIT_SET
 *                (VCACHE_EVICT_ADMIN).
 * @shrink_pages: pages the shrinker's evictions gave back to the system,
 *                counted when they are freed, as mem_used goes down: a
 *                video a reader still held goes with that reader's last
 *                reference, and pages a pipe or pin still holds are not
 *                counted (they are freed, and leave mem_used, when it lets
 *                go; no longer the shrinker's doing).
 * @reserved:     written as 0.
 *
 * Works on any descriptor, bound or not.
 */
struct vcache_stats {
	__u64 mem_used;
	__u64 mem_limit;
	__u32 videos;
	__u32 __pad;
	__u64 evictions;
	__u64 bytes_served;
	__u64 aio_queued;
	__u64 aio_completed;
	__u64 aio_cancelled;
	__u64 evictions_limit;
	__u64 evictions_pressure;
	__u64 evictions_admin;
	__u64 shrink_pages;
	__u64 reserved;
};

/*
 * The keyframe index.
 *
 * Each video may carry an index: entries sorted by presentation time, one
 * per frame or at least one per keyframe, each giving where in the video
 * the frame's data starts. Times are 90 kHz ticks from the start of the
 * video (timecode 00:00:00:00 is time 0; for MPEG-TS that is the first
 * keyframe's PTS, not PTS 0). The index is appended while the video is
 * LOADING and is immutable once it is sealed. Its memory counts against the
 * cache's limit. VCACHE_IOC_INDEX_READ copies it back out.
 */
#define VCACHE_INDEX_KEY	(1U << 0)	/* a frame playback can start at */

/*
 * Most entries one VCACHE_IOC_INDEX_APPEND takes, and most a video holds
 * (16 hours at 60 frames a second, one entry a frame).
 */
#define VCACHE_INDEX_BATCH_MAX	65536
#define VCACHE_INDEX_MAX	(1U << 22)

/*
 * Latest presentation time an index entry may have: 2^42 ticks of 90 kHz,
 * about 18 months, so that the frame and timecode arithmetic stays within
 * 64 bits at every frame rate.
 */
#define VCACHE_PTS_MAX		(1ULL << 42)

/**
 * struct vcache_index_entry - one frame in the index
 * @pts:    presentation time, 90 kHz ticks from the start of the video, at
 *          most VCACHE_PTS_MAX. Not less than the previous entry's.
 * @offset: byte offset in the video where the frame's data starts (for
 *          MPEG-TS, the 188-byte packet that starts its PES). Below the
 *          video's size when appended; keyframes' offsets never decrease.
 * @flags:  VCACHE_INDEX_KEY, or 0.
 * @__pad:  must be 0.
 */
struct vcache_index_entry {
	__u64 pts;
	__u64 offset;
	__u32 flags;
	__u32 __pad;
};

/**
 * struct vcache_index_append - argument of VCACHE_IOC_INDEX_APPEND
 * @entries:  user pointer to @count struct vcache_index_entry.
 * @count:    entries to append, at most VCACHE_INDEX_BATCH_MAX.
 * @flags:    must be 0.
 * @reserved: must be 0.
 *
 * Appends all the entries or none. Errors: EINVAL (an entry breaks the
 * rules above, or @count is too large), E2BIG (the index would pass
 * VCACHE_INDEX_MAX), EPERM (sealed), ENOSPC (cache memory limit), EBADF
 * (descriptor not writable).
 */
struct vcache_index_append {
	__u64 entries;
	__u32 count;
	__u32 flags;
	__u64 reserved[2];
};

/* vcache_index_read.flags */
#define VCACHE_INDEX_READ_KEYS	(1U << 0)	/* keyframe entries only */

/**
 * struct vcache_index_read - argument of VCACHE_IOC_INDEX_READ
 * @position: in: absolute position of the first entry wanted (see below).
 * @entries:  in: user pointer to room for @capacity struct
 *            vcache_index_entry.
 * @capacity: in: entries @entries has room for. Any value; one call copies
 *            at most VCACHE_INDEX_BATCH_MAX. 0 copies nothing and only
 *            fills in @first and @end (@entries is then not looked at).
 * @flags:    in: VCACHE_INDEX_READ_KEYS to copy keyframes only, or 0.
 * @count:    out: entries copied to @entries.
 * @__pad:    must be 0; written as 0.
 * @first:    out: position of the oldest entry still held.
 * @end:      out: position one past the newest entry held.
 * @next:     out: the @position to pass to read on from where this call
 *            stopped (past the entries it copied and, with
 *            VCACHE_INDEX_READ_KEYS, the non-key entries it skipped).
 * @reserved: must be 0; written as 0.
 *
 * Copies index entries, in order, from the first one at or after
 * @position. Positions are absolute: the first entry ever appended to the
 * video is position 0, the next 1, and an entry keeps its position for
 * good. Without VCACHE_INDEX_READ_KEYS the call copies the entries at
 * positions max(@position, @first), max(@position, @first) + 1, ... in a
 * row; with it, only the keyframes among them, and the positions of the
 * entries copied are not reported (an I-frame playlist does not need them).
 * @first and @end are those at the start of the call: it copies nothing
 * appended after it began.
 *
 * More is left to read as long as @next < @end; @count < @capacity alone
 * does not say so (at most VCACHE_INDEX_BATCH_MAX a call, and see live
 * streams below). A @position at or past @end copies nothing and succeeds
 * with @count 0 and @next = @position, like read(2) at the end of a file.
 *
 * A VOD video's index only grows while the video is LOADING: a read then
 * sees the entries appended so far (each call a prefix of the final index;
 * entries already read never change), and a SEALED video's index is final.
 * A VOD video's @first is always 0.
 *
 * Live streams (LIVE and ENDED): entries are dropped as the window moves
 * on (those before the oldest keyframe still in the window; see
 * VCACHE_IOC_LOOKUP). Dropped entries are gone, but positions do not
 * shift: @first counts the entries dropped so far. A @position below
 * @first is not an error: the call reads from @first, and @first >
 * @position tells the reader that the entries in [@position, @first) were
 * lost (a live playlist then skips ahead). Entries may also be dropped
 * while the call copies (the writer appends concurrently): the call then
 * stops early, at @next, and the next call reports the loss as above. An
 * ENDED stream's index is final.
 *
 * Calls from several threads, and appends in parallel, are safe; a reader
 * never holds up the writer for longer than it takes to copy a small batch
 * of entries inside the kernel.
 *
 * Any bound descriptor may read the index, read-only ones too.
 *
 * Errors: EINVAL (unknown @flags, non-zero @__pad or @reserved), EFAULT
 * (the argument, or @entries when something is to be copied, is not
 * writable: some entries may have been written), ENODATA (no entry was ever
 * appended to the video's index; a live stream whose entries were all
 * dropped is not that: it reads 0 entries with @first = @end), EBADFD (the
 * descriptor is not bound), EINTR (a signal came before anything was
 * copied).
 */
struct vcache_index_read {
	__u64 position;
	__u64 entries;
	__u32 capacity;
	__u32 flags;
	__u32 count;
	__u32 __pad;
	__u64 first;
	__u64 end;
	__u64 next;
	__u64 reserved[4];
};

/*
 * SMPTE timecode label hh:mm:ss:ff (drop-frame written hh:mm:ss;ff); the
 * counting rules, SMPTE ST 12-1's, are in include/vcache/timecode.h.
 */
struct vcache_timecode {
	__u8 hh;
	__u8 mm;
	__u8 ss;
	__u8 ff;
};

/* vcache_lookup.mode: what the request gives */
#define VCACHE_LOOKUP_TIMECODE	1	/* @tc, a timecode label */
#define VCACHE_LOOKUP_PTS	2	/* @pts, a time in 90 kHz ticks */
#define VCACHE_LOOKUP_OFFSET	3	/* @offset, a byte offset (reverse) */
#define VCACHE_LOOKUP_LATEST	4	/* the newest keyframe (live join) */

/* vcache_lookup.flags */
#define VCACHE_LOOKUP_DROP_FRAME (1U << 0)	/* @tc in, @key_tc out: drop-frame */

/**
 * struct vcache_lookup - argument of VCACHE_IOC_LOOKUP
 * @mode:       VCACHE_LOOKUP_*.
 * @flags:      VCACHE_LOOKUP_DROP_FRAME or 0. Drop-frame needs a video at
 *              30000/1001 or 60000/1001 (EINVAL otherwise).
 * @tc:         in, TIMECODE mode: the label. Fields out of range (hh >= 24,
 *              mm or ss >= 60, ff >= the nominal rate) and labels that
 *              drop-frame skips (00:01:00;00 at 29.97) fail with EINVAL.
 * @__pad:      must be 0.
 * @pts:        in, PTS mode: the time.
 * @offset:     in, OFFSET mode: a byte offset below the video's size.
 * @frame:      out: the frame the request names (TIMECODE, PTS), or the
 *              keyframe's (OFFSET).
 * @key_pts:    out: the chosen keyframe's time.
 * @key_offset: out: where its data starts: playback begins here.
 * @key_frame:  out: its frame number (its time rounded to the nearest frame).
 * @key_tc:     out: its timecode label (drop-frame if @flags says so).
 * @__pad2:     written as 0.
 * @reserved:   must be 0; written as 0.
 *
 * The chosen keyframe is the last one at or before the requested instant
 * (TIMECODE, PTS) or byte (OFFSET); a request before the first keyframe gets
 * the first. Frame numbers and times convert with the video's rate, integer
 * arithmetic only; a stamp belongs to the frame whose start is nearest. The
 * search is a binary search: O(log n) in the index size.
 *
 * Errors: EINVAL (an unknown @mode, checked first; bad flags or fields),
 * ENODATA (the video has no index), ERANGE (past the end: a time at or
 * after INFO's duration, an offset at or past the size).
 *
 * Live streams: only keyframes inside the window count; a request before
 * the window gets the oldest keyframe in it. Index entries must lie in the
 * window when appended, and are dropped as it moves on.
 */
struct vcache_lookup {
	__u32 mode;
	__u32 flags;
	struct vcache_timecode tc;
	__u32 __pad;
	__u64 pts;
	__u64 offset;
	__u64 frame;
	__u64 key_pts;
	__u64 key_offset;
	__u64 key_frame;
	struct vcache_timecode key_tc;
	__u32 __pad2;
	__u64 reserved[4];
};

#define VCACHE_IOC_MAGIC	0xBA

/* Create a video and bind the descriptor to it. */
#define VCACHE_IOC_CREATE	_IOW(VCACHE_IOC_MAGIC, 0x01, struct vcache_create)
/* Bind the descriptor to an existing video. */
#define VCACHE_IOC_OPEN		_IOW(VCACHE_IOC_MAGIC, 0x02, struct vcache_open)
/*
 * Make the bound video immutable; for a live stream, end it (ENDED). The
 * argument must be 0. Errors: EBADF (descriptor not writable), EBUSY while
 * someone could still write to the video's pages: a writable mapping of it
 * exists (unmap it first), or a page is held by more than the cache and the
 * page tables that map it - pinned through a mapping that is gone by now
 * (io_uring registered buffers, O_DIRECT or process_vm_writev(2) still
 * under way, RDMA) - until that holder lets go. A transient reference (a
 * read-only mapping being faulted in at that moment) can give EBUSY too:
 * try again. Sealing a sealed video or an ended stream succeeds and
 * changes nothing.
 */
#define VCACHE_IOC_SEAL		_IO(VCACHE_IOC_MAGIC, 0x03)
/* Describe the bound video. */
#define VCACHE_IOC_INFO		_IOR(VCACHE_IOC_MAGIC, 0x04, struct vcache_info)
/* Remove a video's name from the cache. */
#define VCACHE_IOC_DELETE	_IOW(VCACHE_IOC_MAGIC, 0x05, struct vcache_delete)
/* Grow the size of the bound video after writing through a mapping. */
#define VCACHE_IOC_COMMIT	_IOW(VCACHE_IOC_MAGIC, 0x06, struct vcache_commit)
/* Cache-wide counters. */
#define VCACHE_IOC_STATS	_IOR(VCACHE_IOC_MAGIC, 0x07, struct vcache_stats)
/* Append entries to the bound video's index. */
#define VCACHE_IOC_INDEX_APPEND	_IOW(VCACHE_IOC_MAGIC, 0x08, struct vcache_index_append)
/* Timecode, time or byte offset to the keyframe at or before it. */
#define VCACHE_IOC_LOOKUP	_IOWR(VCACHE_IOC_MAGIC, 0x09, struct vcache_lookup)
/* Copy entries of the bound video's index out, from an absolute position. */
#define VCACHE_IOC_INDEX_READ	_IOWR(VCACHE_IOC_MAGIC, 0x0a, struct vcache_index_read)
/*
 * Pin (argument 1) or unpin (argument 0) the bound video. A pinned video is
 * never evicted, neither for the cache's limit nor by the shrinker under
 * memory pressure: the live stream of the hour, the title everyone
 * watches. It still counts against the limit, so at most max_mb of memory
 * can be pinned, and loads that find only pinned or used videos to evict
 * fail with ENOSPC. Unpinning an unused sealed video makes it the most
 * recently released one. Pinning a pinned video, or unpinning an unpinned
 * one, succeeds and changes nothing. Needs a descriptor opened for
 * writing, as DELETE does: whoever may remove a video may keep it (EBADF
 * otherwise). Errors: EINVAL (an argument other than 0 and 1).
 */
#define VCACHE_IOC_PIN		_IO(VCACHE_IOC_MAGIC, 0x10)

/*
 * read(2) and its variants: a read at or past the size returns 0. Offsets
 * must be >= 0 (EINVAL).
 *
 * write(2) and its variants: only while LOADING (EPERM once sealed). A write
 * starting at or past the capacity fails with EFBIG; one that crosses it is
 * cut short at the capacity. ENOSPC when the cache's memory limit is reached
 * and evicting unused sealed videos (least recently released first) did not
 * free enough. ENOMEM when the writer's memory cgroup is at its memory.max
 * (or the system is out of memory): the bytes that fitted were written, a
 * write that wrote some returns their count first. Neither kills the writer.
 * O_APPEND writes at the current size.
 *
 * lseek(2): SEEK_SET, SEEK_CUR, and SEEK_END (relative to the size). Offsets
 * up to the capacity are allowed (any offset >= 0 on a live stream); others
 * fail with EINVAL.
 *
 * mmap(2): MAP_SHARED only (MAP_PRIVATE fails with EINVAL); the file offset
 * is the byte offset in the video and must be page-aligned.
 *   - A sealed video maps read-only: PROT_WRITE fails with EPERM and
 *     mprotect(2) cannot add it later (EACCES). The mapping may cover the
 *     size rounded up to a page; a larger range fails with EINVAL. Holes
 *     (pages never written) map one page of zeros shared by all, which
 *     takes no memory from the cache, so they read as read(2) reads them.
 *   - A loading video maps up to its capacity (rounded up to a page), larger
 *     ranges fail with EINVAL. A descriptor opened for writing may map it
 *     writable: pages are allocated as they are touched (SIGBUS if the
 *     cache's limit or the memory cgroup's memory.max is reached; never the
 *     OOM killer). A read-only mapping of a loading video gets
 *     SIGBUS when it touches a page past the size that no one has written.
 *   - A mapping keeps the video's memory alive after DELETE, eviction or
 *     close(2) of the descriptor; videos in use are never evicted.
 */

/*
 * Generic netlink interface.
 *
 * The generic netlink family VCACHE_GENL_NAME, version VCACHE_GENL_VERSION,
 * describes and manages the cache without a descriptor of the device, and
 * tells listeners what happens to videos. Resolve the family's id and the id
 * of its multicast group VCACHE_GENL_MCGRP_EVENTS through the "nlctrl"
 * family (CTRL_CMD_GETFAMILY), as for any generic netlink family.
 *
 * The cache is one for the whole machine, so the family exists only in the
 * initial network namespace.
 *
 * Access control: anyone may ask (VIDEO_GET, STATS_GET) and listen to the
 * events group, so video names are visible to every local user this way.
 * VIDEO_DEL and LIMIT_SET need CAP_NET_ADMIN (in the initial user
 * namespace), unlike the device, whose mode alone decides who may DELETE:
 * EPERM otherwise.
 *
 * Requests are validated strictly: an unknown attribute, an attribute of
 * the wrong type or length, a string without its NUL, or non-zero reserved
 * bytes in the generic netlink header fail with EINVAL, and an unknown
 * command with EOPNOTSUPP. Where the kernel supports extended acks
 * (NETLINK_EXT_ACK) the error carries a message and the offending attribute.
 * A name attribute holds a name as described at VCACHE_NAME_MAX: a
 * NUL-terminated string of at most VCACHE_NAME_MAX bytes with its NUL,
 * followed by nothing but NULs (EINVAL otherwise).
 *
 * Replies and events may carry attributes this header does not list yet:
 * ignore the ones you do not know. 64-bit attributes are preceded by a pad
 * attribute (*_PAD) where needed for alignment; skip those too.
 */
#define VCACHE_GENL_NAME		"vcache"
#define VCACHE_GENL_VERSION		1
#define VCACHE_GENL_MCGRP_EVENTS	"events"

/**
 * enum vcache_cmd - generic netlink commands
 * @VCACHE_CMD_UNSPEC:    not a command.
 * @VCACHE_CMD_VIDEO_GET: describe videos. Without NLM_F_DUMP: the video
 *	named by VCACHE_A_VIDEO_NAME (required; ENOENT if no video has that
 *	name); the reply is one VCACHE_CMD_VIDEO_GET message with the
 *	VCACHE_A_VIDEO_* attributes. With NLM_F_DUMP: every video that has a
 *	name, one message each, in id (creation) order; the request takes no
 *	attributes (EINVAL). A dump that takes several parts resumes after the
 *	last id it sent, so every video named during the whole dump is
 *	reported exactly once even when others come and go between parts;
 *	those may or may not be. Reading the dump is never interrupted
 *	(no NLM_F_DUMP_INTR).
 * @VCACHE_CMD_VIDEO_DEL: remove the name of the video named by
 *	VCACHE_A_VIDEO_NAME (required), as VCACHE_IOC_DELETE does. Needs
 *	CAP_NET_ADMIN. ENOENT if no video has that name.
 * @VCACHE_CMD_STATS_GET: cache-wide counters; the request takes no
 *	attributes. The reply is one VCACHE_CMD_STATS_GET message with the
 *	VCACHE_A_STATS_* attributes.
 * @VCACHE_CMD_LIMIT_SET: set the cache's memory limit to
 *	VCACHE_A_STATS_MEM_LIMIT (required): a whole number of MiB, or 0 for
 *	the default, a quarter of RAM. The same as writing the module
 *	parameter max_mb, which shows the new value afterwards. Lowering the
 *	limit below what is in use evicts unused sealed videos, least recently
 *	released first, until the cache fits or nothing is left to evict. Needs
 *	CAP_NET_ADMIN. EINVAL for a limit that is not a whole number of MiB or
 *	more than the RAM.
 * @VCACHE_CMD_EVENT:     never a request (EOPNOTSUPP): the command of the
 *	messages sent to the events group, see enum vcache_event_type.
 * @VCACHE_CMD_VIDEO_PIN: pin (VCACHE_A_VIDEO_PINNED 1) or unpin (0) the
 *	video named by VCACHE_A_VIDEO_NAME, both required, as VCACHE_IOC_PIN
 *	does: a pinned video is never evicted, neither for the cache's limit
 *	nor by the shrinker; VCACHE_INFO_PINNED in its flags says so. Needs
 *	CAP_NET_ADMIN (the ioctl needs a writable descriptor). ENOENT if no
 *	video has that name; ERANGE for a VCACHE_A_VIDEO_PINNED other than 0
 *	and 1 (the attribute policy's answer).
 * @__VCACHE_CMD_MAX:     for VCACHE_CMD_MAX.
 */
enum vcache_cmd {
	VCACHE_CMD_UNSPEC,
	VCACHE_CMD_VIDEO_GET,
	VCACHE_CMD_VIDEO_DEL,
	VCACHE_CMD_STATS_GET,
	VCACHE_CMD_LIMIT_SET,
	VCACHE_CMD_EVENT,
	VCACHE_CMD_VIDEO_PIN,

	__VCACHE_CMD_MAX,
};

#define VCACHE_CMD_MAX (__VCACHE_CMD_MAX - 1)

/**
 * enum vcache_a_video - attributes of a video
 * @VCACHE_A_VIDEO_UNSPEC:        not an attribute.
 * @VCACHE_A_VIDEO_PAD:           alignment padding, no meaning.
 * @VCACHE_A_VIDEO_NAME:          string, the name (requests: see above).
 * @VCACHE_A_VIDEO_ID:            u64, as vcache_info.id.
 * @VCACHE_A_VIDEO_STATE:         u32, VCACHE_STATE_*.
 * @VCACHE_A_VIDEO_FLAGS:         u32, VCACHE_INFO_*.
 * @VCACHE_A_VIDEO_SIZE:          u64, bytes held (vcache_info.size).
 * @VCACHE_A_VIDEO_CAPACITY:      u64, the capacity given at creation.
 * @VCACHE_A_VIDEO_FPS_NUM:       u32, frame rate numerator, as created.
 * @VCACHE_A_VIDEO_FPS_DEN:       u32, frame rate denominator, as created.
 * @VCACHE_A_VIDEO_OPEN_COUNT:    u32, descriptors bound to the video.
 * @VCACHE_A_VIDEO_MAP_COUNT:     u32, mappings (VMAs) of the video.
 * @VCACHE_A_VIDEO_INDEX_ENTRIES: u32, entries in the keyframe index: the
 *	count of vcache_info.index_entries, which is a __u64 there; the index
 *	holds at most VCACHE_INDEX_MAX entries, so u32 carries it whole.
 * @VCACHE_A_VIDEO_DURATION:      u64, as vcache_info.duration (90 kHz).
 * @VCACHE_A_VIDEO_BYTES_SERVED:  u64, as vcache_info.bytes_served.
 * @VCACHE_A_VIDEO_MEM_BYTES:     u64, memory the video holds.
 * @VCACHE_A_VIDEO_CREATE_TIME:   u64, CLOCK_REALTIME ns of creation.
 * @VCACHE_A_VIDEO_SEAL_TIME:     u64, CLOCK_REALTIME ns of the seal, or of
 *	a live stream's end; absent while the video is loading or live.
 * @VCACHE_A_VIDEO_ACCESS_TIME:   u64, CLOCK_REALTIME ns of the last read or
 *	page fault, as vcache_info.access_time_ns.
 * @VCACHE_A_VIDEO_LIVE_HEAD:     u64, live streams only: the head, the
 *	offset of the next byte to come (the same as VCACHE_A_VIDEO_SIZE).
 * @VCACHE_A_VIDEO_LIVE_TAIL:     u64, live streams only: the oldest offset
 *	still readable, as vcache_info.tail. Head and tail are one snapshot:
 *	tail = max(0, head - window).
 * @VCACHE_A_VIDEO_LIVE_RING:     u64, live streams only: bytes in the ring
 *	(the capacity rounded up to pages), as vcache_live_ctrl.ring_size.
 * @VCACHE_A_VIDEO_LIVE_WINDOW:   u64, live streams only: most bytes readable
 *	behind the head, as vcache_info.window.
 * @VCACHE_A_VIDEO_LIVE_VIEWERS:  u32, live streams only: bound descriptors
 *	other than the writer's, as vcache_info.viewers.
 * @VCACHE_A_VIDEO_LIVE_BEHIND:   u64, live streams only: reads refused with
 *	EOVERFLOW because the data had left the window (a viewer fell
 *	behind), since the stream was created. Readers of a mapping check the
 *	control page themselves and are not counted.
 * @VCACHE_A_VIDEO_PINNED:        u32, in VCACHE_CMD_VIDEO_PIN requests only:
 *	1 to pin, 0 to unpin. Replies say it in VCACHE_A_VIDEO_FLAGS.
 * @__VCACHE_A_VIDEO_MAX:         for VCACHE_A_VIDEO_MAX.
 *
 * The values are a snapshot: each one is read once, without stopping
 * readers or the loader, as VCACHE_IOC_INFO does. The VCACHE_A_VIDEO_LIVE_*
 * attributes are present exactly when the state is VCACHE_STATE_LIVE or
 * VCACHE_STATE_ENDED.
 */
enum vcache_a_video {
	VCACHE_A_VIDEO_UNSPEC,
	VCACHE_A_VIDEO_PAD,
	VCACHE_A_VIDEO_NAME,
	VCACHE_A_VIDEO_ID,
	VCACHE_A_VIDEO_STATE,
	VCACHE_A_VIDEO_FLAGS,
	VCACHE_A_VIDEO_SIZE,
	VCACHE_A_VIDEO_CAPACITY,
	VCACHE_A_VIDEO_FPS_NUM,
	VCACHE_A_VIDEO_FPS_DEN,
	VCACHE_A_VIDEO_OPEN_COUNT,
	VCACHE_A_VIDEO_MAP_COUNT,
	VCACHE_A_VIDEO_INDEX_ENTRIES,
	VCACHE_A_VIDEO_DURATION,
	VCACHE_A_VIDEO_BYTES_SERVED,
	VCACHE_A_VIDEO_MEM_BYTES,
	VCACHE_A_VIDEO_CREATE_TIME,
	VCACHE_A_VIDEO_SEAL_TIME,
	VCACHE_A_VIDEO_ACCESS_TIME,
	VCACHE_A_VIDEO_LIVE_HEAD,
	VCACHE_A_VIDEO_LIVE_TAIL,
	VCACHE_A_VIDEO_LIVE_RING,
	VCACHE_A_VIDEO_LIVE_WINDOW,
	VCACHE_A_VIDEO_LIVE_VIEWERS,
	VCACHE_A_VIDEO_LIVE_BEHIND,
	VCACHE_A_VIDEO_PINNED,

	__VCACHE_A_VIDEO_MAX,
};

#define VCACHE_A_VIDEO_MAX (__VCACHE_A_VIDEO_MAX - 1)

/**
 * enum vcache_a_stats - cache-wide counters (STATS_GET, LIMIT_SET)
 * @VCACHE_A_STATS_UNSPEC:         not an attribute.
 * @VCACHE_A_STATS_PAD:            alignment padding, no meaning.
 * @VCACHE_A_STATS_MEM_USED:       u64, as vcache_stats.mem_used.
 * @VCACHE_A_STATS_MEM_LIMIT:      u64, the memory limit in force, in bytes;
 *	in LIMIT_SET, the limit to set (see VCACHE_CMD_LIMIT_SET).
 * @VCACHE_A_STATS_VIDEOS:         u32, videos reachable by name.
 * @VCACHE_A_STATS_EVICTIONS:      u64, as vcache_stats.evictions.
 * @VCACHE_A_STATS_BYTES_SERVED:   u64, as vcache_stats.bytes_served.
 * @VCACHE_A_STATS_EVENTS_DROPPED: u64, events not sent since the module was
 *	loaded because they came faster than the events group's rate limit
 *	(or memory for them ran out). Events while no one listens are not
 *	counted.
 * @VCACHE_A_STATS_AIO_QUEUED:     u64, as vcache_stats.aio_queued.
 * @VCACHE_A_STATS_AIO_COMPLETED:  u64, as vcache_stats.aio_completed.
 * @VCACHE_A_STATS_AIO_CANCELLED:  u64, as vcache_stats.aio_cancelled.
 * @VCACHE_A_STATS_EVICTIONS_LIMIT: u64, as vcache_stats.evictions_limit.
 * @VCACHE_A_STATS_EVICTIONS_PRESSURE: u64, as
 *	vcache_stats.evictions_pressure.
 * @VCACHE_A_STATS_EVICTIONS_ADMIN: u64, as vcache_stats.evictions_admin.
 * @VCACHE_A_STATS_SHRINK_PAGES:   u64, as vcache_stats.shrink_pages.
 * @__VCACHE_A_STATS_MAX:          for VCACHE_A_STATS_MAX.
 */
enum vcache_a_stats {
	VCACHE_A_STATS_UNSPEC,
	VCACHE_A_STATS_PAD,
	VCACHE_A_STATS_MEM_USED,
	VCACHE_A_STATS_MEM_LIMIT,
	VCACHE_A_STATS_VIDEOS,
	VCACHE_A_STATS_EVICTIONS,
	VCACHE_A_STATS_BYTES_SERVED,
	VCACHE_A_STATS_EVENTS_DROPPED,
	VCACHE_A_STATS_AIO_QUEUED,
	VCACHE_A_STATS_AIO_COMPLETED,
	VCACHE_A_STATS_AIO_CANCELLED,
	VCACHE_A_STATS_EVICTIONS_LIMIT,
	VCACHE_A_STATS_EVICTIONS_PRESSURE,
	VCACHE_A_STATS_EVICTIONS_ADMIN,
	VCACHE_A_STATS_SHRINK_PAGES,

	__VCACHE_A_STATS_MAX,
};

#define VCACHE_A_STATS_MAX (__VCACHE_A_STATS_MAX - 1)

/**
 * enum vcache_event_type - what happened, in VCACHE_A_EVENT_TYPE
 * @VCACHE_EVENT_CREATED: a video got its name (VCACHE_IOC_CREATE).
 * @VCACHE_EVENT_SEALED:  a loading video was sealed.
 * @VCACHE_EVENT_DELETED: a video lost its name: VCACHE_IOC_DELETE,
 *	VCACHE_CMD_VIDEO_DEL, or the loader of a video still loading let go
 *	of it (the video then still shows VCACHE_STATE_LOADING).
 * @VCACHE_EVENT_EVICTED: an unused sealed video was evicted for memory;
 *	VCACHE_A_EVENT_REASON says why.
 * @VCACHE_EVENT_LIVE_STARTED: a live stream was created and bound to its
 *	writer; it follows the stream's VCACHE_EVENT_CREATED, which is sent
 *	as for any video.
 * @VCACHE_EVENT_LIVE_ENDED: a live stream ended (VCACHE_STATE_ENDED):
 *	VCACHE_IOC_SEAL, or its writer closed. The video keeps its name and
 *	its window until it is deleted.
 * @VCACHE_EVENT_VIEWER_BEHIND: a read of a live stream failed with
 *	EOVERFLOW: a viewer fell behind the window. Sent at most once per
 *	stream every 100 ms (the numbers may change), so that a viewer
 *	retrying in a loop cannot use up the group's rate for everyone;
 *	VCACHE_A_VIDEO_LIVE_BEHIND in the message counts every such read,
 *	those folded into no event too. Folded reads are not events: they
 *	take no number and are not counted in VCACHE_A_STATS_EVENTS_DROPPED.
 *
 * Listeners must ignore types they do not know.
 */
enum vcache_event_type {
	VCACHE_EVENT_CREATED = 1,
	VCACHE_EVENT_SEALED,
	VCACHE_EVENT_DELETED,
	VCACHE_EVENT_EVICTED,
	VCACHE_EVENT_LIVE_STARTED,
	VCACHE_EVENT_LIVE_ENDED,
	VCACHE_EVENT_VIEWER_BEHIND,
};

/**
 * enum vcache_evict_reason - why a video was evicted (VCACHE_A_EVENT_REASON)
 * @VCACHE_EVICT_LIMIT:    to make room for new data under the cache's limit.
 * @VCACHE_EVICT_PRESSURE: the system was short of memory (the shrinker).
 * @VCACHE_EVICT_ADMIN:    the limit was lowered below what was in use.
 */
enum vcache_evict_reason {
	VCACHE_EVICT_LIMIT = 1,
	VCACHE_EVICT_PRESSURE,
	VCACHE_EVICT_ADMIN,
};

/**
 * enum vcache_a_event - attributes of a VCACHE_CMD_EVENT message
 * @VCACHE_A_EVENT_UNSPEC: not an attribute.
 * @VCACHE_A_EVENT_PAD:    alignment padding, no meaning.
 * @VCACHE_A_EVENT_TYPE:   u32, enum vcache_event_type.
 * @VCACHE_A_EVENT_SEQ:    u64, the event's number: 1 for the first event
 *	after the module was loaded, then one more for each event, whether it
 *	was sent or dropped by the rate limit. A listener that sees a gap
 *	missed events, and should dump the videos again to catch up.
 * @VCACHE_A_EVENT_TIME:   u64, CLOCK_REALTIME ns when it happened.
 * @VCACHE_A_EVENT_VIDEO:  nested VCACHE_A_VIDEO_* attributes: the video
 *	right after the change (a deleted or evicted one has
 *	VCACHE_INFO_DELETED in its flags).
 * @VCACHE_A_EVENT_REASON: u32, enum vcache_evict_reason: in
 *	VCACHE_EVENT_EVICTED events only.
 * @__VCACHE_A_EVENT_MAX:  for VCACHE_A_EVENT_MAX.
 *
 * The events group carries at most 1000 events a second, in bursts of up
 * to 256 (the numbers may change); events beyond that are dropped and
 * counted in VCACHE_A_STATS_EVENTS_DROPPED, so a busy loader cannot flood
 * the listeners. A listener whose socket buffer overflows gets ENOBUFS
 * from recv(2) instead. Events about one video arrive in the order its
 * changes happened, except for changes that race: the events of a delete
 * from elsewhere while a create or seal of the same video is returning may
 * come in either order.
 */
enum vcache_a_event {
	VCACHE_A_EVENT_UNSPEC,
	VCACHE_A_EVENT_PAD,
	VCACHE_A_EVENT_TYPE,
	VCACHE_A_EVENT_SEQ,
	VCACHE_A_EVENT_TIME,
	VCACHE_A_EVENT_VIDEO,
	VCACHE_A_EVENT_REASON,

	__VCACHE_A_EVENT_MAX,
};

#define VCACHE_A_EVENT_MAX (__VCACHE_A_EVENT_MAX - 1)

#endif /* _UAPI_LINUX_VCACHE_H */
