/*
 * Threads: one slot per thread of the process image, handed out without
 * locks (an atomic counter; slot 0, the main thread, lives in the process
 * state, the others in chunks mmap'd when first needed, each twice the one
 * before: 64, 128, 256 ... slots), and the hooks that see threads start
 * (pthread_create, thrd_create) and end (a thread-exit destructor, which
 * runs on return, pthread_exit and cancellation).
 *
 * A fork child never walks the table it inherited: a program whose threads
 * come and go has a slot for every thread it ever ran, and a child that
 * touched them all would copy them all (each fork slower than the last, and
 * a program that forks in a loop slower without end). It drops the chunks
 * whole, a dozen munmaps at most.
 */
#include "collector.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <threads.h>

#define CHUNK 64     /* slots in chunk 0; chunk c has CHUNK << c */
#define MAX_CHUNKS 12 /* THREADS_MAX slots in all */
_Static_assert(THREADS_MAX == CHUNK * ((1u << MAX_CHUNKS) - 1) + 1,
               "the chunks hold THREADS_MAX slots");

__thread struct slot *my_slot __attribute__((tls_model("initial-exec")));

static struct slot *chunks[MAX_CHUNKS];

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *,
                         void *(*)(void *), void *);
typedef int (*thrd_create_fn)(thrd_t *, thrd_start_t, void *);

static create_fn real_create(void)
{
    if (!hot.real_create)
        hot.real_create = dlsym_next("pthread_create");
    return (create_fn)hot.real_create;
}

static thrd_create_fn real_thrd_create(void)
{
    if (!hot.real_thrd_create)
        hot.real_thrd_create = dlsym_next("thrd_create");
    return (thrd_create_fn)hot.real_thrd_create;
}

unsigned threads_count(void)
{
    unsigned n = atomic_load(&st.nslots);
    return n > THREADS_MAX ? THREADS_MAX : n;
}

/* Where table slot i (> 0) lives: its chunk (chunk c holds slots
 * CHUNK * (2^c - 1) + 1 onwards) and, in *at, its place in that chunk. */
static unsigned chunk_of(unsigned i, unsigned *at)
{
    unsigned j = i - 1, c = 31u - (unsigned)__builtin_clz(j / CHUNK + 1);
    *at = j - CHUNK * ((1u << c) - 1);
    return c;
}

static size_t chunk_bytes(unsigned c)
{
    return ((size_t)CHUNK << c) * sizeof(struct slot);
}

struct slot *threads_slot(unsigned i)
{
    if (i == 0)
        return &st.slot0;
    unsigned at, c = chunk_of(i, &at);
    if (c >= MAX_CHUNKS)
        return NULL;
    struct slot *p = __atomic_load_n(&chunks[c], __ATOMIC_ACQUIRE);
    return p ? &p[at] : NULL;
}

static struct slot *slot_claim(void)
{
    unsigned i = atomic_fetch_add(&st.nslots, 1);
    struct slot *s = &st.slot0;
    if (i > 0) {
        unsigned at, c = chunk_of(i, &at);
        if (c >= MAX_CHUNKS)
            return NULL;
        struct slot *chunk = __atomic_load_n(&chunks[c], __ATOMIC_ACQUIRE);
        if (!chunk) {
            struct slot *p = k_mmap(chunk_bytes(c));
            if (!p)
                return NULL;
            struct slot *none = NULL;
            if (__atomic_compare_exchange_n(&chunks[c], &none, p, 0,
                                            __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE))
                chunk = p;
            else {
                k_munmap(p, chunk_bytes(c));
                chunk = none;
            }
        }
        s = &chunk[at];
    }
    /* Fresh memory is zero but for slot 0, which a fork child reuses. */
    s->index = i;
    s->tid = 0;
    s->start_us = s->end_us = 0;
    for (int k = 0; k < M_COUNT; k++)
        s->m[k] = 0;
    s->has_base = 0;
    s->cpu_ns = -1;
    s->rss_kib = 0;
    for (int k = 0; k < MAX_EVENTS; k++) {
        s->ev[k] = -1;
        s->evbase[k] = 0;
        s->evfd[k] = -1;
        s->evid[k] = 0;
    }
    s->fn = NULL;
    s->c11fn = NULL;
    s->arg = NULL;
    atomic_store(&s->state, SLOT_STARTING);
    return s;
}

/* End of a thread: store its final figures while it still exists. */
static void thread_end(void *p)
{
    struct slot *s = p;
    if (!s || s != my_slot || !collector_active())
        return;
    int expect = SLOT_RUNNING;
    if (atomic_compare_exchange_strong(&s->state, &expect, SLOT_CAPTURING)) {
        measure_self(s, NULL);
        s->end_us = now_us();
        perf_read(s, 1);
        atomic_store(&s->state, SLOT_DONE);
    }
    my_slot = NULL;
}

/* glibc's hook for C++ thread_local destructors: runs when the thread
 * ends (return, pthread_exit, cancellation), after the destructors the
 * program registers later. In libc since 2.18 (pthread keys moved there only
 * in 2.34), so the library loads on older systems with libc alone. */
extern int __cxa_thread_atexit_impl(void (*)(void *), void *, void *);

/* cpu_now: the thread's CPU clock, for clock events (see perf_open_thread). */
static void make_current(struct slot *s, pid_t tid, int64_t start_us,
                         int64_t cpu_now)
{
    s->tid = tid;
    s->start_us = start_us;
    perf_open_thread(s, cpu_now);
    my_slot = s;
    atomic_store(&s->state, SLOT_RUNNING);
}

/* The main thread gets no end hook: if it calls pthread_exit, it stays a
 * zombie whose figures /proc still gives when the process ends. */
void threads_init(int64_t start_us, const uint64_t *base)
{
    struct slot *s = slot_claim();
    if (!s)
        return;
    if (base) {
        m_copy(s->base, base, sizeof s->base);
        s->has_base = 1;
    }
    make_current(s, st.pid, start_us, -1); /* the main thread: tid is pid */
}

void threads_after_fork(int64_t start_us)
{
    unsigned n = threads_count();
    atomic_store(&st.nslots, 0);
    perf_close_inherited(n);
    for (unsigned c = 0; c < MAX_CHUNKS; c++)
        if (chunks[c]) {
            k_munmap(chunks[c], chunk_bytes(c));
            chunks[c] = NULL;
        }
    my_slot = NULL;
    struct slot *s = slot_claim();
    if (s)
        make_current(s, st.pid, start_us, 0); /* the only thread: tid is pid */
}

void threads_rebase(int64_t now)
{
    unsigned n = threads_count();
    for (unsigned i = 0; i < n; i++) {
        struct slot *s = threads_slot(i);
        if (!s)
            continue;
        int state = atomic_load(&s->state);
        if (state == SLOT_DONE)
            atomic_store(&s->state, SLOT_FREE);
        else if (state == SLOT_HELD) {
            m_copy(s->base, s->m, sizeof s->base);
            s->has_base = 1;
            for (int e = 0; e < MAX_EVENTS; e++)
                s->evbase[e] = s->ev[e] > 0 ? s->ev[e] : 0;
            s->start_us = now;
            atomic_store(&s->state, SLOT_RUNNING);
        }
    }
}

static void *thread_start(void *p)
{
    struct slot *s = p;
    make_current(s, k_gettid(), now_us(), 0);
    __cxa_thread_atexit_impl(thread_end, s, &hot); /* &hot: names our library */
    errno = 0;
    if (s->c11fn)
        return (void *)(intptr_t)s->c11fn(s->arg);
    return s->fn(s->arg);
}

EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr,
                          void *(*fn)(void *), void *arg)
{
    if (!collector_active())
        return real_create()(t, attr, fn, arg);
    struct slot *s = slot_claim();
    if (!s)
        return real_create()(t, attr, fn, arg);
    s->fn = fn;
    s->arg = arg;
    int r = real_create()(t, attr, thread_start, s);
    if (r != 0)
        atomic_store(&s->state, SLOT_DEAD);
    return r;
}

EXPORT int thrd_create(thrd_t *t, thrd_start_t fn, void *arg)
{
    if (!collector_active())
        return real_thrd_create()(t, fn, arg);
    struct slot *s = slot_claim();
    if (!s)
        return real_thrd_create()(t, fn, arg);
    s->c11fn = fn;
    s->arg = arg;
    int r = real_create()((pthread_t *)t, NULL, thread_start, s);
    if (r == 0)
        return thrd_success;
    atomic_store(&s->state, SLOT_DEAD);
    return r == ENOMEM ? thrd_nomem : thrd_error;
}
