/*
 * perf events named in PAPIEX_OPTIONS: one counter per event per thread,
 * counting that thread only (inherit off: every thread and every forked
 * child opens its own, so nothing is counted twice). A counter the machine
 * cannot give (no PMU in a VM, perf_event_paranoid) is tried once per image
 * and then reported as not counted; it never stops the program.
 *
 * The fds are close-on-exec and moved high, out of the range programs use,
 * and each carries its kernel event id: before reading or closing we check
 * the fd still is that event, in case the program closed and reused it.
 *
 * The two clock events need no counter: a task's cpu-clock and task-clock
 * count the nanoseconds it runs, which the scheduler also keeps for the
 * thread's CPU clock (CLOCK_THREAD_CPUTIME_ID, read by measure.c anyway).
 * Reading that clock at the thread's end instead spares every process a
 * perf_event_open, its close and the counter's work at each context switch
 * (about 25 us per process here). They differ only by the interrupt time
 * the kernel charges to no task (here 0.01-0.2 %); the clock is also there
 * when perf_event_paranoid forbids counters.
 */
#include "collector.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <sys/resource.h>

enum ev_state { EV_UNTRIED, EV_WITH_KERNEL, EV_USER_ONLY, EV_FAILED };

struct named { const char *name; uint32_t type; uint64_t config; };

static const struct named table[] = {
    {"PERF_COUNT_SW_CPU_CLOCK", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK},
    {"PERF_COUNT_SW_TASK_CLOCK", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
    {"PERF_COUNT_SW_PAGE_FAULTS", PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_PAGE_FAULTS},
    {"PERF_COUNT_SW_CONTEXT_SWITCHES", PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"PERF_COUNT_SW_CPU_MIGRATIONS", PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_CPU_MIGRATIONS},
    {"PERF_COUNT_SW_PAGE_FAULTS_MIN", PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_PAGE_FAULTS_MIN},
    {"PERF_COUNT_SW_PAGE_FAULTS_MAJ", PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_PAGE_FAULTS_MAJ},
    {"PERF_COUNT_SW_ALIGNMENT_FAULTS", PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_ALIGNMENT_FAULTS},
    {"PERF_COUNT_SW_EMULATION_FAULTS", PERF_TYPE_SOFTWARE,
     PERF_COUNT_SW_EMULATION_FAULTS},
    {"PERF_COUNT_HW_CPU_CYCLES", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"PERF_COUNT_HW_INSTRUCTIONS", PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_INSTRUCTIONS},
    {"PERF_COUNT_HW_CACHE_REFERENCES", PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_CACHE_REFERENCES},
    {"PERF_COUNT_HW_CACHE_MISSES", PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_CACHE_MISSES},
    {"PERF_COUNT_HW_BRANCH_INSTRUCTIONS", PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
    {"PERF_COUNT_HW_BRANCH_MISSES", PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_BRANCH_MISSES},
    {"PERF_COUNT_HW_BUS_CYCLES", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES},
    {"PERF_COUNT_HW_STALLED_CYCLES_FRONTEND", PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_STALLED_CYCLES_FRONTEND},
    {"PERF_COUNT_HW_STALLED_CYCLES_BACKEND", PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_STALLED_CYCLES_BACKEND},
    {"PERF_COUNT_HW_REF_CPU_CYCLES", PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_REF_CPU_CYCLES},
    /* PAPI presets papiex users know, mapped to the generic counters. */
    {"PAPI_TOT_CYC", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"PAPI_TOT_INS", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"PAPI_REF_CYC", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES},
    {"PAPI_BR_INS", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
    {"PAPI_BR_MSP", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES},
};

static const char *const caches[] = {"L1D", "L1I", "LL", "DTLB",
                                     "ITLB", "BPU", "NODE"};
static const char *const cache_ops[] = {"READ", "WRITE", "PREFETCH"};
static const char *const cache_results[] = {"ACCESS", "MISS"};

static int same(const char *a, size_t n, const char *b)
{
    return s_len(b) == n && s_starts(a, b, n);
}

static int pick(const char *s, size_t n, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (same(s, n, names[i]))
            return i;
    return -1;
}

/* PERF_COUNT_HW_CACHE_<cache>[:<op>[:<result>]], as libpfm names them;
 * op defaults to READ, result to ACCESS. */
static int cache_event(const char *name, uint64_t *config)
{
    static const char prefix[] = "PERF_COUNT_HW_CACHE_";
    if (!s_starts(name, prefix, sizeof prefix - 1))
        return 0;
    const char *p = name + sizeof prefix - 1;
    int part[3] = {-1, 0, 0};
    for (int k = 0; k < 3 && *p; k++) {
        const char *e = s_chr(p, ':');
        size_t n = e ? (size_t)(e - p) : s_len(p);
        part[k] = k == 0   ? pick(p, n, caches, 7)
                  : k == 1 ? pick(p, n, cache_ops, 3)
                           : pick(p, n, cache_results, 2);
        if (part[k] < 0)
            return 0;
        p += n + (e != NULL);
    }
    if (part[0] < 0 || *p)
        return 0;
    *config = (uint64_t)part[0] | (uint64_t)part[1] << 8 |
              (uint64_t)part[2] << 16;
    return 1;
}

static void add_event(const char *s, size_t n)
{
    if (n == 0 || n >= EVENT_NAME_MAX || cfg.nevents >= MAX_EVENTS)
        return;
    for (int i = 0; i < cfg.nevents; i++)
        if (same(s, n, cfg.events[i].name))
            return;
    const char *name = keep(s, n);
    if (!name)
        return;
    struct event *ev = &cfg.events[cfg.nevents++];
    ev->name = name;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (s_eq(table[i].name, ev->name)) {
            ev->known = 1;
            ev->type = table[i].type;
            ev->config = table[i].config;
        }
    ev->clock = ev->known && ev->type == PERF_TYPE_SOFTWARE &&
                (ev->config == PERF_COUNT_SW_CPU_CLOCK ||
                 ev->config == PERF_COUNT_SW_TASK_CLOCK);
    if (!ev->known && cache_event(ev->name, &ev->config)) {
        ev->known = 1;
        ev->type = PERF_TYPE_HW_CACHE;
    }
    if (!ev->known)
        debug_msg("unknown event, its column stays empty:", ev->name, -1);
}

int events_parse(const char *options)
{
    int form = FORM_PER_PROCESS;
    const char *p = options;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        size_t n = (size_t)(e - p);
        while (n > 0 && p[n - 1] == ' ')
            n--;
        if (same(p, n, "COLLATED_CSV"))
            form = FORM_COLLATED_CSV;
        else if (same(p, n, "COLLATED_TSV")) {
            if (form != FORM_COLLATED_CSV)
                form = FORM_COLLATED_TSV;
        } else
            add_event(p, n);
        p = e;
    }
    return form;
}

/* ---- counters ---------------------------------------------------------------- */

#define fds_open st.fds_open
#define fd_base cfg.fd_base
#define fd_cap cfg.fd_cap

/* Counters go from fd 100 up (out of the way of the low numbers programs
 * expect, yet keeping the kernel's fd table small: it grows in steps of
 * 128), at most 256 of them, and never in the top quarter of a low
 * RLIMIT_NOFILE. */
void perf_init(void)
{
    int counted = 0;
    for (int i = 0; i < cfg.nevents; i++)
        counted |= cfg.events[i].known && !cfg.events[i].clock;
    if (!counted)
        return; /* clock events only: no counter, no fd, nothing to place */
    struct rlimit rl;
    long top = 1024;
    if (k_getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)top)
        top = (long)rl.rlim_cur;
    fd_base = top >= 512 ? 100 : (int)(top / 2);
    fd_cap = (int)(top * 3 / 4) - fd_base;
    if (fd_cap > 256)
        fd_cap = 256;
}

/* Which slots hold counter fds, a bit per slot: a fork child finds the
 * fds it inherited from these, without reading the slots of every thread
 * the parent ever ran (which copies them: see threads.c). */
static _Atomic uint64_t with_fds[(THREADS_MAX + 63) / 64];

static void mark_fds(const struct slot *s, int has)
{
    _Atomic uint64_t *w = &with_fds[s->index / 64];
    uint64_t bit = 1ull << (s->index % 64);
    if (has)
        atomic_fetch_or(w, bit);
    else if (atomic_load(w) & bit)
        atomic_fetch_and(w, ~bit);
}

static long perf_event_open(struct perf_event_attr *a)
{
    return sc6(SYS_perf_event_open, L(a), 0, -1, -1, PERF_FLAG_FD_CLOEXEC, 0);
}

static int still_ours(int fd, uint64_t id)
{
    uint64_t now = 0;
    return k_ioctl(fd, PERF_EVENT_IOC_ID, &now) == 0 && now == id;
}

void perf_adopt(int i, int fd, uint64_t id, int64_t base, int collecting)
{
    if (fd < 0 || !still_ours(fd, id))
        return;
    if (!collecting || i >= cfg.nevents || cfg.events[i].clock ||
        k_fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        k_close(fd);
        return;
    }
    hot.adopt[i].fd = fd;
    hot.adopt[i].id = id;
    hot.adopt[i].base = base;
    hot.adopt_mask |= 1u << i;
}

void perf_adopt_clock(int i, int64_t base)
{
    if (i >= cfg.nevents || !cfg.events[i].clock)
        return;
    hot.adopt[i].fd = -1;
    hot.adopt[i].base = base;
    hot.adopt_mask |= 1u << i;
}

/* Takes over event i from the previous image (perf_adopt checked the fd
 * and made it close-on-exec again): 1 if done. */
static int take_over(struct slot *s, int i)
{
    if (!(hot.adopt_mask & (1u << i)))
        return 0;
    hot.adopt_mask &= ~(1u << i);
    if (s != &st.slot0) {
        if (hot.adopt[i].fd >= 0)
            k_close(hot.adopt[i].fd);
        return 0;
    }
    s->evbase[i] = hot.adopt[i].base;
    if (cfg.events[i].clock)
        return 1;
    mark_fds(s, 1);
    s->evfd[i] = hot.adopt[i].fd;
    s->evid[i] = hot.adopt[i].id;
    atomic_fetch_add(&fds_open, 1);
    return 1;
}

void perf_open_thread(struct slot *s, int64_t cpu_now)
{
    int marked = 0;
    for (int i = 0; i < cfg.nevents; i++) {
        struct event *ev = &cfg.events[i];
        s->evfd[i] = -1;
        if (take_over(s, i))
            continue;
        if (ev->clock) {
            if (cpu_now < 0)
                cpu_now = thread_clock_ns(0);
            s->evbase[i] = cpu_now > 0 ? cpu_now : 0;
            continue;
        }
        int state = atomic_load(&ev->state);
        if (!ev->known || state == EV_FAILED)
            continue;
        if (atomic_fetch_add(&fds_open, 1) >= fd_cap) {
            atomic_fetch_sub(&fds_open, 1);
            continue;
        }
        if (!marked) { /* before the fd exists, for a fork in between */
            mark_fds(s, 1);
            marked = 1;
        }
        struct perf_event_attr a;
        m_zero(&a, sizeof a);
        a.size = sizeof a;
        a.type = ev->type;
        a.config = ev->config;
        a.read_format =
            PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
        a.exclude_hv = 1;
        /* Hardware events count user space, as PAPI's default domain;
         * software ones include the kernel (context switches happen there)
         * unless perf_event_paranoid forbids it. */
        a.exclude_kernel =
            ev->type != PERF_TYPE_SOFTWARE || state == EV_USER_ONLY;
        long fd = perf_event_open(&a);
        if ((fd == -EACCES || fd == -EPERM) && !a.exclude_kernel) {
            a.exclude_kernel = 1;
            fd = perf_event_open(&a);
            if (fd >= 0)
                atomic_store(&ev->state, EV_USER_ONLY);
        } else if (fd >= 0 && state == EV_UNTRIED)
            atomic_store(&ev->state, a.exclude_kernel ? EV_USER_ONLY
                                                      : EV_WITH_KERNEL);
        if (fd < 0) {
            if (fd != -EMFILE && fd != -ENFILE && fd != -ENOMEM &&
                fd != -EBUSY && fd != -EINTR) {
                atomic_store(&ev->state, EV_FAILED);
                debug_msg("cannot count", ev->name, -fd);
            }
            atomic_fetch_sub(&fds_open, 1);
            continue;
        }
        if (fd < fd_base) {
            long high = k_fcntl((int)fd, F_DUPFD_CLOEXEC, fd_base);
            if (high >= 0) {
                k_close((int)fd);
                fd = high;
            }
        }
        uint64_t id;
        if (k_ioctl((int)fd, PERF_EVENT_IOC_ID, &id) != 0) {
            k_close((int)fd);
            atomic_fetch_sub(&fds_open, 1);
            continue;
        }
        s->evfd[i] = (int)fd;
        s->evid[i] = id;
    }
}

void perf_read(struct slot *s, int close_fds)
{
    for (int i = 0; i < cfg.nevents; i++) {
        int fd = s->evfd[i];
        s->ev[i] = -1;
        if (cfg.events[i].clock)
            s->ev[i] = s->cpu_ns;
        if (fd < 0)
            continue;
        if (!still_ours(fd, s->evid[i])) {
            /* The program closed it and the number is someone else's. */
            if (close_fds) {
                s->evfd[i] = -1;
                atomic_fetch_sub(&fds_open, 1);
            }
            continue;
        }
        uint64_t v[3]; /* value, time enabled, time running */
        if (k_read(fd, v, sizeof v) == (long)sizeof v) {
            uint64_t x = v[0];
            if (v[2] != 0 && v[2] < v[1]) /* multiplexed: scale up */
                x = (uint64_t)((unsigned __int128)v[0] * v[1] / v[2]);
            s->ev[i] = x > INT64_MAX ? INT64_MAX : (int64_t)x;
        }
        if (close_fds) {
            k_close(fd);
            s->evfd[i] = -1;
            atomic_fetch_sub(&fds_open, 1);
        }
    }
    if (close_fds) /* after the closes, for a fork in between */
        mark_fds(s, 0);
}

void perf_close_inherited(unsigned n)
{
    for (unsigned w = 0; w < (n + 63) / 64; w++) {
        uint64_t bits = atomic_load(&with_fds[w]);
        if (!bits)
            continue;
        atomic_store(&with_fds[w], 0);
        for (; bits; bits &= bits - 1) {
            struct slot *s =
                threads_slot(w * 64 + (unsigned)__builtin_ctzll(bits));
            for (int e = 0; s && e < cfg.nevents; e++)
                if (s->evfd[e] >= 0 && still_ours(s->evfd[e], s->evid[e]))
                    k_close(s->evfd[e]);
        }
    }
    atomic_store(&fds_open, 0);
}
