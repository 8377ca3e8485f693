/*
 * libepmt.so: the EPMT collector, an LD_PRELOAD library that records every
 * thread of every process it is loaded into, in papiex's output format.
 *
 * This header is the contract between the layers (one file each):
 *   core.c     state, start-up, the one record per process image, exit paths
 *   threads.c  the thread table and the pthread_create/thrd_create hooks
 *   measure.c  what is measured: getrusage and /proc/<pid>/task/<tid>/...
 *   perf.c     perf_event_open counters named in PAPIEX_OPTIONS
 *   format.c   CSV and TSV text (escaping, numbers, header, rows)
 *   output.c   putting the text into files (per process, collated)
 *   exec.c     the exec family: write before exec, hand over to the new image
 *   fork.c     the fork handler, registered on first need
 *   signals.c  record on death by signal; the program's view of sigaction
 *   symbols.c  the next definition of a function we wrap (libc's own)
 *   sys.h      system calls made directly, and the few string helpers
 *
 * Rules every layer keeps:
 *   - The program must never notice us: no output unless PAPIEX_DEBUG is set,
 *     errno preserved by every hook, no file descriptor left open except the
 *     perf counters (close-on-exec, placed high), same exit status.
 *   - Nothing that can be reached from a signal handler allocates with malloc,
 *     takes a lock or uses stdio: only system calls, our own static or mmap'd
 *     memory and our own formatting.
 *   - No lock at all, so nothing can be held across fork: shared state is
 *     changed with atomics, and a forked child resets what it inherited.
 *   - Every process pays for what we do: everything written at start-up or
 *     in a fork child lives in `hot` (one page, and more for long strings),
 *     system calls go straight to the kernel (sys.h), libc (all we need) is
 *     bound when we are loaded, and what only some processes need (the fork
 *     handler, the functions we wrap) is set up on first use. Where the cost
 *     goes: README.md, "Cost".
 *   - Every hook first checks collector_active() (collecting, and this is the
 *     process the state belongs to: not a vfork child or a raw clone).
 */
#ifndef EPMT_COLLECTOR_H
#define EPMT_COLLECTOR_H

#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sys.h"

/* The collector's release; `epmt --version` finds "EPMT_COLLECTOR_VERSION="
 * followed by this in the library file. The only place it is written. */
#define EPMT_COLLECTOR_VERSION "0.1.0"

#define EXPORT __attribute__((visibility("default")))

/* ---- metrics ----------------------------------------------------------- */

/* The per-thread metric columns, in papiex's order (header after `end`). */
enum metric {
    M_USERTIME, M_SYSTEMTIME, M_RSSMAX, M_MINFLT, M_MAJFLT, M_INBLOCK,
    M_OUTBLOCK, M_VOL_CTXSW, M_INVOL_CTXSW, M_CMINFLT, M_CMAJFLT, M_CUTIME,
    M_CSTIME, M_NUM_THREADS, M_STARTTIME, M_PROCESSOR, M_BLKIO_TIME,
    M_GUEST_TIME, M_RCHAR, M_WCHAR, M_SYSCR, M_SYSCW, M_READ_BYTES,
    M_WRITE_BYTES, M_CANCELLED_WRITE_BYTES, M_TIME_ONCPU, M_TIME_WAITING,
    M_TIMESLICES, M_COUNT
};

/* Column names of enum metric, in order. */
extern const char *const metric_names[M_COUNT];

/* Nonzero for metrics that count up over a thread's life (and so are
 * reported as a difference from a baseline after exec); zero for gauges
 * (rssmax, num_threads, starttime, processor). */
int metric_is_counter(int m);

/* Nonzero for the process-wide metrics (children's totals, num_threads):
 * they are reported in the first row of a process only, 0 in the others, so
 * that sums over thread rows give the process's figures. */
int metric_is_process_scope(int m);

/* ---- configuration (fixed at start-up, inherited by fork) -------------- */

#define MAX_EVENTS 16
#define EVENT_NAME_MAX 64

enum form { FORM_PER_PROCESS, FORM_COLLATED_CSV, FORM_COLLATED_TSV };

/* One event named in PAPIEX_OPTIONS. */
struct event {
    const char *name;          /* column name: exactly as given */
    int known;                 /* a name we can map to perf_event_attr */
    int clock;                 /* a CPU clock event: read from the thread's
                                * CPU clock, no perf counter (perf.c) */
    uint32_t type;             /* perf_event_attr.type */
    uint64_t config;           /* perf_event_attr.config */
    _Atomic int state;         /* enum ev_state in perf.c */
};

struct config {
    int form;
    int debug;                    /* PAPIEX_DEBUG set: diagnostics on stderr */
    int nevents;
    struct event events[MAX_EVENTS];
    /* Strings, packed in one small arena (see core.c). */
    const char *outdir;           /* absolute, ends in '/' */
    size_t outdir_len;
    const char *host;             /* uname nodename */
    const char *jobid;            /* COLLATED_CSV file name part */
    const char *tags;             /* PAPIEX_TAGS */
    const char *exename;          /* argv[0] */
    const char *args;             /* argv[1..] joined by spaces */
    size_t args_len;
    const char *options;          /* PAPIEX_OPTIONS as we started with it */
    long mpirank, mpinumranks;
    long clk_tck;
    long page_kib;                /* page size in KiB (stat counts pages) */
    int fd_base;                  /* perf counter fds go at or above this */
    int fd_cap;                   /* and at most this many at once */
};

/* ---- fork (core.c, fork.c) ---------------------------------------------- */

/* The fork handler: in the parent before a fork, and in the child (a new
 * process: new pid, start time, generation 0, only the forking thread,
 * fresh counters). fork.c registers them when the process first needs
 * them. */
void fork_prepare(void);
void fork_child(void);

/* ---- threads (threads.c) ----------------------------------------------- */

enum slot_state {
    SLOT_FREE,       /* not in use */
    SLOT_STARTING,   /* claimed by pthread_create, thread not yet running */
    SLOT_RUNNING,    /* the thread runs and owns the slot */
    SLOT_CAPTURING,  /* the thread is reading its own final figures */
    SLOT_DONE,       /* final figures stored */
    SLOT_HELD,       /* the process writer took the slot to read it */
    SLOT_DEAD        /* pthread_create failed */
};

/* Threads recorded per process image; later ones are not. */
#define THREADS_MAX 262081u

/* One thread of the process image. */
struct slot {
    _Atomic int state;
    unsigned index;               /* in the table (threads_slot) */
    pid_t tid;
    int64_t start_us, end_us;
    uint64_t m[M_COUNT];          /* raw cumulative values when read */
    int has_base;                 /* base[]: m when this image began */
    uint64_t base[M_COUNT];
    int64_t cpu_ns;               /* thread CPU clock when read, -1 unknown */
    uint64_t rss_kib;             /* the process's resident KiB when read
                                   * (stat), 0 unknown: see rss_own */
    int64_t ev[MAX_EVENTS];       /* event values, -1 when not counted */
    int64_t evbase[MAX_EVENTS];   /* ev when this image began (failed exec) */
    int evfd[MAX_EVENTS];         /* perf counter fds, -1 when none */
    uint64_t evid[MAX_EVENTS];    /* PERF_EVENT_IOC_ID of each fd */
    void *(*fn)(void *);          /* start routine handed to the thread */
    int (*c11fn)(void *);         /* or a C11 thrd_start_t */
    void *arg;
};

/* ---- process state ----------------------------------------------------- */

enum why { WHY_EXIT, WHY_EXEC, WHY_SIGNAL };

struct proc {
    pid_t pid;            /* the process this state describes */
    pid_t ppid;           /* parent at start (the tree link) */
    int generation;       /* images of this pid written before this one */
    int forked;           /* a fork child that has not exec'd (see exec.c) */
    int64_t start_us;     /* epoch microseconds */
    int64_t end_us;
    int exitcode, exitsignal;
    int has_base;         /* base[]: process-scope counters at image start */
    uint64_t base[M_COUNT];
    uint64_t pscope[M_COUNT]; /* process-scope metrics read when writing */
    _Atomic int written;  /* 0 not yet, 1 being written, 2 done */
    _Atomic unsigned nslots; /* slots handed out (threads.c) */
    _Atomic int fds_open;    /* perf counter fds open (perf.c) */
    struct slot slot0;       /* the main thread */
};

/* Environment variables the collector reads, looked up in one pass over
 * the environment at start-up (env_value: the value, or NULL if unset). */
enum env_id {
    E_OPTIONS, E_OUTPUT, E_TAGS, E_DEBUG, E_JOB_ID, E_HANDOFF,
    E_OMPI_RANK, E_OMPI_SIZE, E_PMIX_RANK, E_PMIX_SIZE, E_PMI_RANK,
    E_PMI_SIZE, E_MV2_RANK, E_MV2_SIZE, E_ALPS_PE, E_ALPS_SIZE,
    E_SLURM_STEP_TASKS, E_SLURM_PROCID, E_COUNT
};
const char *env_value(int id);

#define NMANAGED 16 /* signals we catch (signals.c) */

/* Everything the library writes, at start-up, in a fork child or in a hook,
 * kept together: two pages (the first holds all but long strings), so that
 * start-up costs one or two page faults and a fork child one copy-on-write
 * fault, not one per variable. */
struct hot {
    _Atomic int on;     /* collecting (collector_on) */
    struct proc proc;
    struct config config;
    const char *env[E_COUNT]; /* variables read at start-up (core.c) */
    const char *our_path;     /* this library's file (exec.c) */
    struct { int flags; uint64_t mask; } sigview[NMANAGED]; /* signals.c */
    void *real_signal, *real_sigset;           /* libc's own functions */
    void *real_create, *real_thrd_create;
    void *real_register, *real_fork, *real_daemon, *real_forkpty;
    _Atomic int atfork; /* our fork handler registered? (fork.c) */
    int empty_path_link; /* linkat(AT_EMPTY_PATH) allowed? (output.c) */
    struct { int fd; uint64_t id; int64_t base; } adopt[MAX_EVENTS];
    unsigned adopt_mask; /* counters handed over by the last image (perf.c) */
    size_t arena_used;
    char arena[5 * 1024]; /* the configuration's strings (core.c) */
};
extern struct hot hot;
#define st (hot.proc)
#define cfg (hot.config)

/* Nonzero when collection is on (PAPIEX_OPTIONS set and start-up done). */
#define collector_on hot.on

/* Collecting, and the calling process is the one the state describes.
 * Cheap (one getpid); safe anywhere, including signal handlers. */
int collector_active(void);

/* Epoch microseconds (CLOCK_REALTIME). Async-signal-safe. */
int64_t now_us(void);

/* Writes this image's record once (the caller has checked
 * collector_active()): the first caller wins, later callers
 * return at once (a signal handler waits briefly for a writer in another
 * thread to finish). Reads every thread, formats and writes the output form.
 * `sig` is the signal number for WHY_SIGNAL, else 0. Blocks signals while
 * writing unless called from a handler. Async-signal-safe. Returns 1 if this
 * call produced the record (whether or not the file system took it). */
int record_process(int why, int sig);


/* A copy of s[0..n), NUL-terminated, in the configuration arena; NULL if
 * it is full. Start-up only. */
char *keep(const char *s, size_t n);

/* The next definition of `name` after ours (the real libc function), as
 * dlsym(RTLD_NEXT) finds it, without libdl (symbols.c); looked up once per
 * name by the caller and cached. Not for signal handlers. */
void *dlsym_next(const char *name);

/* Nonzero if the loaded object dl_iterate_phdr describes is this library. */
struct dl_phdr_info;
int dl_is_us(const struct dl_phdr_info *info);

/* Diagnostics for PAPIEX_DEBUG: "epmt-collector[pid]: what detail num".
 * Writes nothing unless cfg.debug. num < 0 is left out. Async-signal-safe. */
void debug_msg(const char *what, const char *detail, long num);

/* The calling thread's slot, or NULL for a thread we did not see start. */
extern __thread struct slot *my_slot;

/* Sets up slot 0 for the calling (main) thread and the thread-exit hook.
 * Called once at start-up; base (or NULL) is what earlier images of this
 * pid already reported for this thread. */
void threads_init(int64_t start_us, const uint64_t *base);

/* In a fork child: closes the counters inherited from the parent's threads
 * and makes the calling thread slot 0 again, started at start_us. */
void threads_after_fork(int64_t start_us);

/* Number of slots handed out so far (some may be FREE/STARTING/DEAD). */
unsigned threads_count(void);

/* Slot i (< threads_count()), or NULL if its memory is not there yet. */
struct slot *threads_slot(unsigned i);

/* After an exec that was written for and then failed: the image goes on as
 * a new generation from now_us. Ended threads were reported (FREE); held
 * ones go back to their threads with their figures as the new baseline. */
void threads_rebase(int64_t now_us);

/* ---- measuring (measure.c) ---------------------------------------------- */

/* The CPU clock of thread tid (0: the calling thread) in nanoseconds, up to
 * date (the kernel adds the running stretch first); -1 if it is gone. */
int64_t thread_clock_ns(pid_t tid);

/* Reads the calling thread's figures into s->m (getrusage(RUSAGE_THREAD) and
 * /proc/self/task/<tid>/{stat,io,schedstat}) and its CPU clock into
 * s->cpu_ns (the caller sets s->end_us). If pscope is not NULL, the
 * process-wide metrics are stored there too. Async-signal-safe. Returns 0,
 * or -1 if /proc could not be read (rusage still filled). */
int measure_self(struct slot *s, uint64_t *pscope);

/* Reads another thread's figures from /proc (stat, io, schedstat, status)
 * and its CPU clock; user/system time are the stat ticks scaled to the exact
 * schedstat run time. Async-signal-safe. Returns -1 if the thread is gone. */
int measure_other(struct slot *s, uint64_t *pscope);

/* Makes the rssmax of each row (raw ru_maxrss, read when the row was) this
 * image's own peak. ru_maxrss is the larger of the peak the process kept
 * from before (what an exec'd-over image left, or the pages a child that
 * execs shared with its parent) and the peak of its memory now. A reading
 * is taken as its own in a fork child that has not exec'd (it keeps
 * nothing: the kernel starts its peak at its own RSS), and when the
 * resident size read with it (rss_kib) is no more than 64 pages below it:
 * the own peak lies between the two. Any other is replaced by the smaller
 * of it and /proc/self/status VmHWM (the current memory's own peak; read
 * once, and only then). Async-signal-safe. */
void rss_own(struct slot *const *rows, unsigned n);

/* ---- perf events (perf.c) ------------------------------------------------ */

/* Fills cfg.events from the comma list in PAPIEX_OPTIONS and returns the
 * output form its flags choose (COLLATED_CSV, COLLATED_TSV). Unknown names
 * still get a column, always empty. */
int events_parse(const char *options);

/* Chooses where counter fds go (high, below min(RLIMIT_NOFILE, 1024)) and
 * how many may be open at once, if any event needs a counter. Called at
 * start-up, after events_parse. */
void perf_init(void);

/* Starts the calling thread's events: one counter per perf event into
 * s->evfd/evid, and for clock events (no counter) the CPU clock to count
 * from, cpu_now (-1: read it here; 0 for a thread or fork child that has
 * just begun) into s->evbase. Events the machine cannot count are
 * remembered and not tried again. Events handed over by the previous image
 * (perf_adopt*) are taken over instead. */
void perf_open_thread(struct slot *s, int64_t cpu_now);

/* At start-up, before perf_open_thread: the previous image of this process
 * passed counter i as fd (kernel id `id`, value `base` at the hand-over).
 * Not collecting: the fd is closed if it is that counter. */
void perf_adopt(int i, int fd, uint64_t id, int64_t base, int collecting);

/* Likewise for clock event i: the thread's CPU clock had reached `base`
 * when the previous image's record was taken (or when it began). */
void perf_adopt_clock(int i, int64_t base);

/* Reads s's counters into s->ev (-1 for none, or when the fd is no longer
 * ours; clock events: s->cpu_ns, so measure s first); with close_fds,
 * closes them. Any thread may read any slot.
 * Async-signal-safe. */
void perf_read(struct slot *s, int close_fds);

/* In a fork child: closes the counter fds of the parent's threads (the
 * first n slots), reading only the slots that had some, and starts the
 * count of open fds again. */
void perf_close_inherited(unsigned n);

/* ---- text (format.c) ----------------------------------------------------- */

/* A growable-by-caller byte buffer: the writer sizes it before formatting. */
struct buf {
    char *p;
    size_t len, cap;
    int overflow;   /* set if anything did not fit */
};

/* Upper bound of the bytes format_csv_* / format_tsv_line need for this
 * record with nrows thread rows. */
size_t format_bound(unsigned nrows);

/* The CSV header line (papiex columns, then one per event), with '\n'. */
void format_csv_header(struct buf *b);

/* The CSV rows of one process: rows[0] carries the per-process columns,
 * later rows leave them empty. Backslash escaping as papiex. */
void format_csv_rows(struct buf *b, struct slot *const *rows, unsigned n,
                     const char *path, pid_t pgid, pid_t sid);

/* The collated TSV header line ("{metrics...}\ttags\t...\targs\n"). */
void format_tsv_header(struct buf *b);

/* One collated TSV line for the process: the thread metrics flattened into
 * one {...} array, then the per-process fields. */
void format_tsv_line(struct buf *b, struct slot *const *rows, unsigned n,
                     const char *path, pid_t pgid, pid_t sid);

/* Appends the decimal form of v. */
void put_u64(struct buf *b, uint64_t v);
void put_i64(struct buf *b, int64_t v);
void put_str(struct buf *b, const char *s);
void put_mem(struct buf *b, const char *s, size_t n);

/* ---- files (output.c) ---------------------------------------------------- */

/* Writes one per-process CSV <host>-papiex-<pid>-<gen>.csv, complete before
 * it appears under its name. `make` formats the content for st.generation;
 * if the name is taken (pid reuse), the generation is raised and `make`
 * called again. Returns 0 on success. */
int output_per_process(struct buf *b, void (*make)(struct buf *, void *),
                       void *arg);

/* Appends the rows in b to <host>-collated-papiex-<job>-0.csv in one write;
 * if the file does not exist, it is created complete with the header
 * (format_csv_header) and linked into place. */
int output_collated_csv(const struct buf *rows);

/* Appends one line to <host>-papiex.tsv, creating <host>-papiex-header.tsv
 * (format_tsv_header; complete, linked into place) first if needed. */
int output_collated_tsv(const struct buf *line);

/* ---- exec (exec.c) -------------------------------------------------------- */

/* This library's file as the loader was given it (from LD_PRELOAD); looked
 * up once, in the parent before its first fork, so children inherit it. */
const char *our_path(void);

/* Name of the variable one image hands to the next across exec. */
#define HANDOFF_VAR "EPMT_COLLECTOR_EXEC"

/* At start-up: if the previous image of this pid (self) left a hand-over,
 * takes the generation, start time, counter baseline (into st.base for all
 * metrics; the caller gives the thread part to slot 0) and perf counters
 * from it. Not collecting, it only closes the counters. Always removes the
 * variable from the environment. Returns 1 if one was taken. */
int exec_take_handoff(int collecting, pid_t self);

/* ---- signals (signals.c) -------------------------------------------------- */

/* Installs our handler for each terminating signal whose disposition is the
 * default, leaving ignored or handled ones alone. */
void signals_init(void);

#endif
