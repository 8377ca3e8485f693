/*
 * What is measured, from the sources papiex documents: getrusage for the
 * calling thread, /proc/self/task/<tid>/stat, io and schedstat; status for
 * another thread's context switches. Everything here is plain system calls
 * and our own parsing, so it may run in a signal handler.
 */
#include "collector.h"

#include <sys/resource.h>

const char *const metric_names[M_COUNT] = {
    "usertime", "systemtime", "rssmax", "minflt", "majflt", "inblock",
    "outblock", "vol_ctxsw", "invol_ctxsw", "cminflt", "cmajflt", "cutime",
    "cstime", "num_threads", "starttime", "processor", "delayacct_blkio_time",
    "guest_time", "rchar", "wchar", "syscr", "syscw", "read_bytes",
    "write_bytes", "cancelled_write_bytes", "time_oncpu", "time_waiting",
    "timeslices",
};

int metric_is_counter(int m)
{
    return m != M_RSSMAX && m != M_NUM_THREADS && m != M_STARTTIME &&
           m != M_PROCESSOR;
}

int metric_is_process_scope(int m)
{
    return m == M_CMINFLT || m == M_CMAJFLT || m == M_CUTIME ||
           m == M_CSTIME || m == M_NUM_THREADS;
}

/* ---- small parsing helpers -------------------------------------------------- */

static int read_small(const char *path, char *buf, size_t cap)
{
    int fd = k_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    /* These files come whole in one read; a full buffer asks for more. */
    size_t n = 0;
    while (n < cap - 1) {
        long r = k_read(fd, buf + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n < cap - 1)
            break;
    }
    k_close(fd);
    buf[n] = 0;
    return n > 0 ? (int)n : -1;
}

/* "/proc/self/task/<tid>/<leaf>", or "/proc/self/<leaf>" for the main
 * thread of a process that never had another (tid 0 here): the same figures
 * for that thread, and one directory level less for the kernel to build. */
static void task_path(char *dst, size_t cap, pid_t tid, const char *leaf)
{
    struct buf b = {dst, 0, cap - 1, 0};
    put_str(&b, "/proc/self/");
    if (tid) {
        put_str(&b, "task/");
        put_i64(&b, tid);
        put_str(&b, "/");
    }
    put_str(&b, leaf);
    dst[b.len] = 0;
}

/* The tid to name in /proc paths for slot s (0: use /proc/self/). Only for
 * a main thread that has been alone in this image and the one before:
 * /proc/self/io would also count threads that have ended. */
static pid_t path_tid(const struct slot *s)
{
    if (s->tid == st.pid && s == &st.slot0 && threads_count() <= 1 &&
        !s->has_base)
        return 0;
    return s->tid;
}

static const char *parse_u64(const char *p, uint64_t *out)
{
    while (*p == ' ' || *p == '\t')
        p++;
    int neg = *p == '-';
    if (neg)
        p++;
    uint64_t v = 0;
    while (*p >= '0' && *p <= '9')
        v = v * 10 + (uint64_t)(*p++ - '0');
    *out = neg ? 0 : v;
    return p;
}

/* Value after "key" (e.g. "\nrchar: ") in text, 0 if absent. */
static uint64_t keyed(const char *text, const char *key)
{
    const char *p = s_str(text, key);
    uint64_t v = 0;
    if (p)
        parse_u64(p + s_len(key), &v);
    return v;
}

static uint64_t ticks_to_us(uint64_t t)
{
    return t * (1000000 / (uint64_t)cfg.clk_tck);
}

/* Fields of a stat line, numbered as in proc(5); f[1], f[2] unused. */
#define STAT_FIELDS 45
static int read_stat(pid_t tid, uint64_t f[STAT_FIELDS])
{
    char path[64], text[1024];
    task_path(path, sizeof path, tid, "stat");
    if (read_small(path, text, sizeof text) < 0)
        return -1;
    const char *p = NULL; /* the last ')': the name may hold anything */
    for (const char *q = text; *q; q++)
        if (*q == ')')
            p = q;
    if (!p || !p[1] || !p[2])
        return -1;
    p += 3; /* ") " and the state letter, field 3 */
    for (int i = 0; i < STAT_FIELDS; i++)
        f[i] = 0;
    for (int i = 4; i < STAT_FIELDS && *p; i++)
        p = parse_u64(p, &f[i]);
    return 0;
}

static void read_io(pid_t tid, uint64_t *m)
{
    char path[64], text[512];
    task_path(path, sizeof path, tid, "io");
    if (read_small(path, text, sizeof text) < 0)
        return;
    m[M_RCHAR] = keyed(text, "rchar:");
    m[M_WCHAR] = keyed(text, "wchar:");
    m[M_SYSCR] = keyed(text, "syscr:");
    m[M_SYSCW] = keyed(text, "syscw:");
    m[M_READ_BYTES] = keyed(text, "\nread_bytes:");
    m[M_WRITE_BYTES] = keyed(text, "\nwrite_bytes:");
    m[M_CANCELLED_WRITE_BYTES] = keyed(text, "cancelled_write_bytes:");
}

static void read_schedstat(pid_t tid, uint64_t *m)
{
    char path[64], text[128];
    task_path(path, sizeof path, tid, "schedstat");
    if (read_small(path, text, sizeof text) < 0)
        return;
    const char *p = parse_u64(text, &m[M_TIME_ONCPU]);
    p = parse_u64(p, &m[M_TIME_WAITING]);
    parse_u64(p, &m[M_TIMESLICES]);
}

/* The stat fields both readers take, and the process-wide ones. */
static void from_stat(const uint64_t *f, uint64_t *m, uint64_t *pscope)
{
    m[M_STARTTIME] = ticks_to_us(f[22]);
    m[M_PROCESSOR] = f[39];
    m[M_BLKIO_TIME] = ticks_to_us(f[42]);
    m[M_GUEST_TIME] = ticks_to_us(f[43]);
    uint64_t *ps = pscope ? pscope : m;
    ps[M_CMINFLT] = f[11];
    ps[M_CMAJFLT] = f[13];
    ps[M_CUTIME] = ticks_to_us(f[16]);
    ps[M_CSTIME] = ticks_to_us(f[17]);
    ps[M_NUM_THREADS] = f[20];
    if (pscope)
        for (int k = 0; k < M_COUNT; k++)
            if (metric_is_process_scope(k))
                m[k] = pscope[k];
}

/* The kernel adds a running thread's current stretch of CPU time to its
 * totals only at the next tick or switch; asking for its CPU clock does it
 * now, so getrusage and schedstat read up to date (not up to 4 ms short,
 * which matters for short threads). */
int64_t thread_clock_ns(pid_t tid)
{
    long ts[2];
    long clock = tid ? (long)((~(unsigned long)tid) << 3) | 6 /* per-thread
                                                                 sched */
                     : 3 /* CLOCK_THREAD_CPUTIME_ID */;
    if (sc6(SYS_clock_gettime, clock, L(ts), 0, 0, 0, 0) != 0)
        return -1;
    return (int64_t)ts[0] * 1000000000 + ts[1];
}

static uint64_t tv_us(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

int measure_self(struct slot *s, uint64_t *pscope)
{
    struct rusage ru;
    uint64_t *m = s->m;
    s->cpu_ns = thread_clock_ns(0);
    if (k_getrusage(RUSAGE_THREAD, &ru) == 0) {
        m[M_USERTIME] = tv_us(ru.ru_utime);
        m[M_SYSTEMTIME] = tv_us(ru.ru_stime);
        m[M_RSSMAX] = (uint64_t)ru.ru_maxrss;
        m[M_MINFLT] = (uint64_t)ru.ru_minflt;
        m[M_MAJFLT] = (uint64_t)ru.ru_majflt;
        m[M_INBLOCK] = (uint64_t)ru.ru_inblock;
        m[M_OUTBLOCK] = (uint64_t)ru.ru_oublock;
        m[M_VOL_CTXSW] = (uint64_t)ru.ru_nvcsw;
        m[M_INVOL_CTXSW] = (uint64_t)ru.ru_nivcsw;
    }
    pid_t tid = s->tid ? path_tid(s) : k_gettid();
    uint64_t f[STAT_FIELDS];
    int r = read_stat(tid, f);
    s->rss_kib = 0;
    if (r == 0) {
        from_stat(f, m, pscope);
        s->rss_kib = f[24] * (uint64_t)cfg.page_kib;
    }
    read_io(tid, m);
    read_schedstat(tid, m);
    return r;
}

int measure_other(struct slot *s, uint64_t *pscope)
{
    uint64_t f[STAT_FIELDS];
    uint64_t *m = s->m;
    s->cpu_ns = thread_clock_ns(s->tid);
    s->rss_kib = 0;
    if (read_stat(s->tid, f) < 0)
        return -1;
    from_stat(f, m, pscope);
    s->rss_kib = f[24] * (uint64_t)cfg.page_kib;
    m[M_MINFLT] = f[10];
    m[M_MAJFLT] = f[12];
    read_schedstat(s->tid, m);
    /* stat has user and system time in ticks; split the exact run time in
     * their ratio, as the kernel does for getrusage. */
    uint64_t ut = f[14], stt = f[15], run = m[M_TIME_ONCPU] / 1000;
    if (run == 0)
        run = ticks_to_us(ut + stt);
    if (ut + stt == 0) {
        m[M_USERTIME] = run;
        m[M_SYSTEMTIME] = 0;
    } else {
        m[M_USERTIME] = run * ut / (ut + stt);
        m[M_SYSTEMTIME] = run - m[M_USERTIME];
    }
    read_io(s->tid, m);
    m[M_INBLOCK] = m[M_READ_BYTES] / 512;
    uint64_t w = m[M_WRITE_BYTES] > m[M_CANCELLED_WRITE_BYTES]
                     ? m[M_WRITE_BYTES] - m[M_CANCELLED_WRITE_BYTES]
                     : 0;
    m[M_OUTBLOCK] = w / 512;
    char path[64], text[4096];
    task_path(path, sizeof path, s->tid, "status");
    if (read_small(path, text, sizeof text) >= 0) {
        m[M_VOL_CTXSW] = keyed(text, "\nvoluntary_ctxt_switches:");
        m[M_INVOL_CTXSW] = keyed(text, "\nnonvoluntary_ctxt_switches:");
    }
    struct rusage ru;
    if (k_getrusage(RUSAGE_SELF, &ru) == 0)
        m[M_RSSMAX] = (uint64_t)ru.ru_maxrss;
    return 0;
}

/* A reading at most this many pages above the resident size read with it
 * is taken as the image's own: it is then at most this much above it, which
 * is about how far the kernel's RSS counters are themselves approximate
 * (cached per CPU or per thread, up to 32-64 pages each). */
#define RSS_SLACK_PAGES 64

void rss_own(struct slot *const *rows, unsigned n)
{
    if (st.forked)
        return;
    uint64_t hwm = 0;
    int have = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t *v = &rows[i]->m[M_RSSMAX];
        uint64_t slack = RSS_SLACK_PAGES * (uint64_t)cfg.page_kib;
        if (rows[i]->rss_kib + slack >= *v)
            continue;
        if (!have) {
            /* status, unlike stat, is long (up to a page with many
             * groups); VmHWM comes before the long lines at its end. */
            char text[4096];
            have = 1;
            if (read_small("/proc/self/status", text, sizeof text) >= 0)
                hwm = keyed(text, "\nVmHWM:");
        }
        if (hwm && hwm < *v)
            *v = hwm;
    }
}
