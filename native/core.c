/*
 * Core: start-up, the per-process state, writing the one record of each
 * process image, and the exit paths (exit, _exit, quick_exit, fork child).
 */
#include "collector.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>

extern char **environ;

/* Found by `epmt --version` scanning the library file. */
__attribute__((used)) static const char version_tag[] =
    "EPMT_COLLECTOR_VERSION=" EPMT_COLLECTOR_VERSION;

struct hot hot __attribute__((aligned(4096)));

/* Formatting space for the usual record; bigger ones are mmap'd. */
static char out_small[16 * 1024];


/* A system call, not the vDSO: a process calls this two or three times, and
 * the vDSO's first use faults its data page in, in the fork child and again
 * in the image it execs (a fault costs five of these calls). */
int64_t now_us(void)
{
    long t[2];
    sc6(SYS_clock_gettime, CLOCK_REALTIME, L(t), 0, 0, 0, 0);
    return (int64_t)t[0] * 1000000 + t[1] / 1000;
}

int collector_active(void)
{
    return atomic_load_explicit(&collector_on, memory_order_acquire) &&
           k_getpid() == st.pid;
}

/* ---- diagnostics ---------------------------------------------------------- */

void debug_msg(const char *what, const char *detail, long num)
{
    if (!cfg.debug)
        return;
    char line[512];
    struct buf b = {line, 0, sizeof line - 1, 0};
    put_str(&b, "epmt-collector[");
    put_i64(&b, k_getpid());
    put_str(&b, "]: ");
    put_str(&b, what);
    if (detail) {
        put_str(&b, " ");
        put_str(&b, detail);
    }
    if (num >= 0) {
        put_str(&b, " ");
        put_i64(&b, num);
    }
    line[b.len++] = '\n';
    k_write(2, line, b.len);
}

/* ---- start-up --------------------------------------------------------------- */

static const char *const env_names[E_COUNT] = {
    "PAPIEX_OPTIONS", "PAPIEX_OUTPUT", "PAPIEX_TAGS", "PAPIEX_DEBUG",
    "EPMT_JOB_ID", HANDOFF_VAR,
    "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMIX_SIZE",
    "PMI_RANK", "PMI_SIZE", "MV2_COMM_WORLD_RANK", "MV2_COMM_WORLD_SIZE",
    "ALPS_APP_PE", "ALPS_APP_SIZE", "SLURM_STEP_NUM_TASKS", "SLURM_PROCID",
};
const char *env_value(int id)
{
    return hot.env[id];
}

/* One pass over the environment instead of a getenv per name; most
 * entries are passed over on their first letter. */
static void env_scan(char **envp)
{
    static const char firsts[] = "PEOMAS";
    for (; envp && *envp; envp++) {
        const char *e = *envp;
        if (!s_chr(firsts, e[0]))
            continue;
        for (int id = 0; id < E_COUNT; id++) {
            const char *n = env_names[id];
            if (e[0] != n[0] || e[1] != n[1])
                continue;
            size_t l = s_len(n);
            if (s_starts(e, n, l) && e[l] == '=') {
                hot.env[id] = e + l + 1;
                break;
            }
        }
    }
}

/* A copy of s[0..n) in the arena (NUL-terminated), or NULL if full. */
char *keep(const char *s, size_t n)
{
    if (hot.arena_used + n + 1 > sizeof hot.arena)
        return NULL;
    char *d = hot.arena + hot.arena_used;
    m_copy(d, s, n);
    d[n] = 0;
    hot.arena_used += n + 1;
    return d;
}

static const char *keep_str(const char *s, size_t cap)
{
    if (!s)
        s = "";
    size_t n = s_len(s);
    const char *k = keep(s, n < cap ? n : cap);
    return k ? k : "";
}

/* Points the PAPIEX_OUTPUT entry of the environment at the absolute form,
 * in the array itself: programs read main's envp as well as environ. */
static void publish_outdir(void)
{
    static const char name[] = "PAPIEX_OUTPUT=";
    char entry[PATH_MAX + sizeof name];
    struct buf b = {entry, 0, sizeof entry - 1, 0};
    put_str(&b, name);
    put_str(&b, cfg.outdir);
    const char *kept = b.overflow ? NULL : keep(entry, b.len);
    for (char **e = environ; kept && e && *e; e++)
        if (s_starts(*e, name, sizeof name - 1))
            *e = (char *)kept;
}

/* Output directory as an absolute path ending in '/': a relative one is
 * taken against the directory we start in, so a later chdir cannot scatter
 * the files, and PAPIEX_OUTPUT is set to it for the processes that follow
 * (the one change to the environment a user can see, and only then). Unset
 * means /tmp/, as papiex. Returns -1 if unusable. */
static int set_outdir(const char *dir)
{
    char path[PATH_MAX];
    size_t n = 0;
    int relative = dir && *dir && dir[0] != '/';
    if (!dir || !*dir)
        dir = "/tmp/";
    if (relative) {
        long r = sc6(SYS_getcwd, L(path), sizeof path, 0, 0, 0, 0);
        if (r <= 0)
            return -1;
        n = s_len(path);
        if (n + 1 >= sizeof path)
            return -1;
        if (path[n - 1] != '/')
            path[n++] = '/';
    }
    size_t d = s_len(dir);
    if (n + d + 2 >= sizeof path)
        return -1;
    m_copy(path + n, dir, d);
    n += d;
    if (path[n - 1] != '/')
        path[n++] = '/';
    cfg.outdir = keep(path, n);
    cfg.outdir_len = n;
    if (relative && cfg.outdir)
        publish_outdir();
    return cfg.outdir ? 0 : -1;
}

/* Job id for the COLLATED_CSV name: EPMT_JOB_ID, else the last component
 * of the output directory (epmt uses <papiex_output>/<user>/<jobid>/). */
static void set_jobid(void)
{
    const char *j = env_value(E_JOB_ID);
    if (j && *j) {
        cfg.jobid = keep_str(j, 255);
        return;
    }
    size_t end = cfg.outdir_len - 1; /* the trailing '/' */
    size_t beg = end;
    while (beg > 0 && cfg.outdir[beg - 1] != '/')
        beg--;
    cfg.jobid = end > beg ? keep(cfg.outdir + beg, end - beg) : NULL;
    if (!cfg.jobid)
        cfg.jobid = "unknown";
}

static long env_long(int id, long dflt)
{
    const char *v = env_value(id);
    if (!v || !*v)
        return dflt;
    long x = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9')
            return dflt;
        x = x * 10 + (*p - '0');
    }
    return x;
}

/* MPI rank and size from the launchers' variables (Open MPI, PMIx, MPICH/
 * Intel MPI PMI, MVAPICH2, Cray ALPS, srun steps); 0 and 0 outside MPI. */
static void set_mpi(void)
{
    static const int pairs[][2] = {
        {E_OMPI_RANK, E_OMPI_SIZE}, {E_PMIX_RANK, E_PMIX_SIZE},
        {E_PMI_RANK, E_PMI_SIZE},   {E_MV2_RANK, E_MV2_SIZE},
        {E_ALPS_PE, E_ALPS_SIZE},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        long r = env_long(pairs[i][0], -1);
        if (r >= 0) {
            cfg.mpirank = r;
            cfg.mpinumranks = env_long(pairs[i][1], 0);
            return;
        }
    }
    /* The batch script itself also has SLURM_PROCID; only srun steps have
     * SLURM_STEP_NUM_TASKS. */
    long steps = env_long(E_SLURM_STEP_TASKS, -1);
    if (steps > 0) {
        cfg.mpirank = env_long(E_SLURM_PROCID, 0);
        cfg.mpinumranks = steps;
    }
}

/* argv[0], and argv[1..] joined by spaces, copied whole: programs may
 * rewrite their argv (getopt permutes it, some set a process title over
 * it). The kernel bounds a command line (ARG_MAX); one too long for the
 * arena goes to mmap'd memory. */
static void set_args(int argc, char **argv)
{
    cfg.exename = keep_str(argc > 0 && argv ? argv[0] : "", PATH_MAX);
    size_t total = 0;
    for (int i = 1; i < argc && argv[i]; i++)
        total += s_len(argv[i]) + 1;
    char *dst = NULL;
    if (total <= sizeof hot.arena - hot.arena_used) {
        dst = hot.arena + hot.arena_used;
        hot.arena_used += total;
    } else if (!(dst = k_mmap(total))) {
        total = 0;
    }
    size_t n = 0;
    for (int i = 1; i < argc && argv[i] && n < total; i++) {
        if (i > 1)
            dst[n++] = ' ';
        size_t l = s_len(argv[i]);
        if (l > total - n)
            l = total - n;
        m_copy(dst + n, argv[i], l);
        n += l;
    }
    cfg.args = dst ? dst : "";
    cfg.args_len = n;
}

static void on_process_exit(int status, void *arg);

/* glibc passes argc, argv and envp to the constructors of shared objects. */
__attribute__((constructor)) static void collector_init(int argc, char **argv,
                                                        char **envp)
{
    int e = errno;
    hot.arena_used = 0; /* a write first: one fault, not read then write */
    env_scan(envp);
    const char *opts = env_value(E_OPTIONS);
    if (!opts || !*opts || getauxval(AT_SECURE)) {
        if (env_value(E_HANDOFF)) /* only to remove it */
            exec_take_handoff(0, k_getpid());
        goto out;
    }
    const char *dbg = env_value(E_DEBUG);
    cfg.debug = dbg && *dbg;
    if (set_outdir(env_value(E_OUTPUT)) < 0) {
        debug_msg("output directory unusable:", env_value(E_OUTPUT), -1);
        if (env_value(E_HANDOFF))
            exec_take_handoff(0, k_getpid());
        goto out;
    }
    cfg.options = keep_str(opts, 4095);
    cfg.form = events_parse(opts);
    st.pid = k_getpid();
    int handed = exec_take_handoff(1, st.pid);
    set_jobid();
    cfg.tags = keep_str(env_value(E_TAGS), 4095);
    struct utsname u;
    cfg.host = keep_str(k_uname(&u) == 0 ? u.nodename : "", 255);
    set_mpi();
    set_args(argc, argv);
    cfg.clk_tck = (long)getauxval(AT_CLKTCK);
    if (cfg.clk_tck <= 0)
        cfg.clk_tck = 100;
    cfg.page_kib = (long)getauxval(AT_PAGESZ) / 1024;
    if (cfg.page_kib <= 0)
        cfg.page_kib = 4;

    st.ppid = k_getppid();
    if (!handed)
        st.start_us = now_us();
    perf_init();
    threads_init(st.start_us, st.has_base ? st.base : NULL);
    /* Registered before main's atexit handlers and before the dynamic
     * linker's destructor list, so it runs last, with the exit status. */
    on_exit(on_process_exit, NULL);
    atomic_store_explicit(&collector_on, 1, memory_order_release);
    signals_init();
    debug_msg("collecting into", cfg.outdir, st.generation);
out:
    errno = e;
}

/* In the parent, before a fork: what its children will need from us and
 * cannot keep for their siblings. */
void fork_prepare(void)
{
    if (!hot.our_path && atomic_load(&collector_on))
        our_path();
}

/* A fork child is a new process: new pid, start time, generation 0, its
 * parent's pid as ppid, only the forking thread, fresh counters. */
void fork_child(void)
{
    if (!atomic_load_explicit(&collector_on, memory_order_acquire))
        return;
    st.ppid = st.pid;
    st.pid = k_getpid();
    st.generation = 0;
    st.forked = 1;
    st.start_us = now_us();
    st.exitcode = st.exitsignal = 0;
    st.has_base = 0;
    atomic_store(&st.written, 0);
    threads_after_fork(st.start_us);
}

/* ---- the record ----------------------------------------------------------- */

/* Takes every thread we know into a row: the caller's own figures, the
 * running ones read from /proc, the ended ones as stored. */
static unsigned snapshot(struct slot **rows, unsigned cap)
{
    unsigned n = threads_count(), k = 0;
    int have_pscope = 0;
    for (unsigned i = 0; i < n && k < cap; i++) {
        struct slot *s = threads_slot(i);
        if (!s)
            continue;
        int state = atomic_load(&s->state);
        if (s == my_slot) {
            /* Our own slot, even if a handler interrupted its capture. */
            atomic_store(&s->state, SLOT_HELD);
            measure_self(s, have_pscope ? NULL : st.pscope);
            have_pscope = 1;
            perf_read(s, 0);
        } else if (state == SLOT_RUNNING) {
            if (!atomic_compare_exchange_strong(&s->state, &state, SLOT_HELD))
                state = atomic_load(&s->state);
            else {
                measure_other(s, NULL);
                perf_read(s, 0);
                state = SLOT_HELD;
            }
        }
        /* A thread storing its final figures takes microseconds. */
        for (int t = 0; state == SLOT_CAPTURING && t < 20000; t++) {
            k_sleep_us(5);
            state = atomic_load(&s->state);
        }
        state = atomic_load(&s->state);
        if (state == SLOT_HELD)
            s->end_us = st.end_us; /* running threads end with the process */
        if (state == SLOT_DONE || state == SLOT_HELD)
            rows[k++] = s;
    }
    if (!have_pscope || k == 0) {
        /* The writing thread is not one of ours: process-wide figures come
         * from the main thread, which also stands in if no row was found. */
        static struct slot lone;
        m_zero(&lone, sizeof lone);
        for (int e = 0; e < MAX_EVENTS; e++)
            lone.ev[e] = lone.evfd[e] = -1;
        lone.tid = st.pid;
        lone.start_us = st.start_us;
        measure_other(&lone, st.pscope);
        if (k == 0 && cap > 0)
            rows[k++] = &lone;
    }
    return k;
}

struct csv_job {
    struct slot **rows;
    unsigned n;
    const char *path;
    pid_t pgid, sid;
};

static void make_csv(struct buf *b, void *arg)
{
    struct csv_job *j = arg;
    b->len = 0;
    b->overflow = 0;
    format_csv_header(b);
    format_csv_rows(b, (struct slot *const *)j->rows, j->n, j->path, j->pgid,
                    j->sid);
}

/* The collated form's rows (CSV) or line (TSV) of the record. */
static void format_collated(struct buf *b, struct slot **rows, unsigned n,
                            const char *path, pid_t pgid, pid_t sid)
{
    if (cfg.form == FORM_COLLATED_TSV)
        format_tsv_line(b, (struct slot *const *)rows, n, path, pgid, sid);
    else
        format_csv_rows(b, (struct slot *const *)rows, n, path, pgid, sid);
}

/* The program's file, resolved, into buf (not terminated): its length. */
static long exe_path(char *buf, size_t cap)
{
    long n = k_readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0) /* once the main thread has ended, only this works */
        n = k_readlink("/proc/thread-self/exe", buf, cap - 1);
    return n;
}

/* Formats and writes the record in the configured form. */
static int emit(void)
{
    unsigned cap = threads_count();
    if (cap == 0)
        cap = 1;
    struct slot *rows_small[64];
    struct slot **rows = rows_small;
    size_t rows_bytes = cap * sizeof *rows;
    if (cap > 64 && !(rows = k_mmap(rows_bytes)))
        return -1;
    unsigned n = snapshot(rows, cap);
    rss_own(rows, n);

    char small[512], *path = small;
    long pl = exe_path(path, sizeof small);
    if (pl >= (long)sizeof small - 1 && (path = k_mmap(PATH_MAX)))
        pl = exe_path(path, PATH_MAX); /* the small buffer cut it short */
    if (!path) {
        path = small;
        pl = 0;
    }
    path[pl > 0 ? pl : 0] = 0;
    pid_t pgid = k_getpgid(), sid = k_getsid();

    /* A collated form's rows are formatted first where start-up left off
     * in the arena: that page is already ours, where out_small would be
     * one more page to fault in. Only a record too big for it is formatted
     * again, there or in mmap'd memory. (Its header is made only by the
     * process that creates the file.) */
    int collated = cfg.form != FORM_PER_PROCESS;
    char *arena_free = hot.arena + hot.arena_used;
    struct buf b = {arena_free, 0, sizeof hot.arena - hot.arena_used, 0};
    if (collated)
        format_collated(&b, rows, n, path, pgid, sid);
    if (!collated || b.overflow) {
        size_t need = format_bound(n);
        b = (struct buf){out_small, 0, sizeof out_small, 0};
        if (need > sizeof out_small) {
            b.p = k_mmap(need);
            b.cap = need;
        }
        if (b.p && collated)
            format_collated(&b, rows, n, path, pgid, sid);
    }
    int r = -1;
    if (b.p) {
        if (!collated) {
            struct csv_job j = {rows, n, path, pgid, sid};
            r = output_per_process(&b, make_csv, &j);
        } else if (!b.overflow)
            r = cfg.form == FORM_COLLATED_TSV ? output_collated_tsv(&b)
                                              : output_collated_csv(&b);
        if (b.p != out_small && b.p != arena_free)
            k_munmap(b.p, b.cap);
    }
    if (rows != rows_small)
        k_munmap(rows, rows_bytes);
    if (path != small)
        k_munmap(path, PATH_MAX);
    debug_msg(r == 0 ? "wrote record of" : "could not write record of",
              cfg.exename, n);
    return r;
}

int record_process(int why, int sig)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&st.written, &expect, 1)) {
        /* Another thread is writing: let it finish before we die. */
        for (int t = 0; why == WHY_SIGNAL && t < 2000; t++) {
            if (atomic_load(&st.written) != 1)
                break;
            k_sleep_us(1000);
        }
        return 0;
    }
    int e = errno;
    /* Nothing interrupts the writing but glibc's two internal signals. */
    uint64_t all = ~((1ULL << (32 - 1)) | (1ULL << (33 - 1))), old = 0;
    if (why != WHY_SIGNAL)
        k_sigmask(SIG_BLOCK, &all, &old);
    st.end_us = now_us();
    if (why == WHY_SIGNAL) {
        st.exitsignal = sig;
        st.exitcode = 0;
    }
    emit();
    atomic_store(&st.written, 2);
    if (why != WHY_SIGNAL)
        k_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return 1;
}

/* ---- exit paths ------------------------------------------------------------- */

static void on_process_exit(int status, void *arg)
{
    (void)arg;
    if (!collector_active())
        return;
    st.exitcode = status & 0xff;
    record_process(WHY_EXIT, 0);
}

EXPORT void _exit(int status)
{
    if (collector_active()) {
        st.exitcode = status & 0xff;
        record_process(WHY_EXIT, 0);
    }
    k_exit_group(status);
}

EXPORT void _Exit(int status)
{
    _exit(status);
}

EXPORT void quick_exit(int status)
{
    if (collector_active()) {
        st.exitcode = status & 0xff;
        record_process(WHY_EXIT, 0);
    }
    void (*real)(int) = (void (*)(int))dlsym_next("quick_exit");
    if (real)
        real(status);
    k_exit_group(status);
}
