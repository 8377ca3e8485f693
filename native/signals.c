/*
 * Death by signal. For each signal whose default action ends the process,
 * while the program leaves it at the default, our handler is installed in
 * its place: it writes the record, puts the default back and raises the
 * signal again, so the process ends exactly as it would have (same signal,
 * same core dump). When the program installs its own handler or ignores
 * the signal, we step aside completely; when it asks, it is told what it
 * set (SIG_DFL), never about our handler. SIGKILL cannot be caught: such a
 * process leaves no record.
 */
#include "collector.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>

static const int managed[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGILL,
                              SIGABRT, SIGBUS,  SIGFPE,  SIGUSR1,
                              SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM,
                              SIGTERM, SIGXCPU, SIGXFSZ, SIGSYS};

_Static_assert(sizeof managed / sizeof managed[0] == NMANAGED, "NMANAGED");

/* What the program last set for a signal we hold: SIG_DFL, with these
 * flags and this mask (the kernel's 64 signals), so it reads back what it
 * set. Indexed like managed[]. */
#define view hot.sigview

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef void (*handler_fn)(int);
typedef handler_fn (*signal_fn)(int, handler_fn);

/* libc's own sigaction, under the name glibc exports for this (bound when
 * we are loaded: no lookup at run time, none in a handler). The others are
 * looked up on first use. */
extern int __sigaction(int, const struct sigaction *, struct sigaction *);

static sigaction_fn real_sigaction(void)
{
    return __sigaction;
}

static signal_fn real_signal(void)
{
    if (!hot.real_signal)
        hot.real_signal = dlsym_next("signal");
    return (signal_fn)hot.real_signal;
}

static signal_fn real_sigset(void)
{
    if (!hot.real_sigset)
        hot.real_sigset = dlsym_next("sigset");
    return (signal_fn)hot.real_sigset;
}

/* Index of sig in managed[], or -1. */
static int managed_index(int sig)
{
    for (int i = 0; i < NMANAGED; i++)
        if (managed[i] == sig)
            return i;
    return -1;
}

/* Written only when it changes: a shell sets its signals back to the
 * default around every command, and after each fork this page is shared
 * with the child until one of them writes it (a copy-on-write fault). */
static void set_view(int i, const struct sigaction *a)
{
    uint64_t mask;
    m_copy(&mask, &a->sa_mask, sizeof mask);
    if (view[i].flags != a->sa_flags)
        view[i].flags = a->sa_flags;
    if (view[i].mask != mask)
        view[i].mask = mask;
}

static void get_view(int i, struct sigaction *a)
{
    m_zero(a, sizeof *a);
    a->sa_handler = SIG_DFL;
    a->sa_flags = view[i].flags;
    m_copy(&a->sa_mask, &view[i].mask, sizeof view[i].mask);
}

static void on_signal(int sig, siginfo_t *si, void *uc);

static int is_ours(const struct sigaction *a)
{
    return (a->sa_flags & SA_SIGINFO) && a->sa_sigaction == on_signal;
}

static int handler_is_ours(handler_fn h)
{
    return (uintptr_t)h == (uintptr_t)on_signal;
}

static void our_action(struct sigaction *a)
{
    m_zero(a, sizeof *a);
    a->sa_sigaction = on_signal;
    a->sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigfillset(&a->sa_mask); /* nothing interrupts the writing */
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    int e = errno;
    if (collector_active())
        record_process(WHY_SIGNAL, sig);
    struct sigaction dfl;
    m_zero(&dfl, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    real_sigaction()(sig, &dfl, NULL);
    /* Pending until the handler returns and unblocks it; then the default
     * action ends the process with this signal. */
    k_tgkill(k_getpid(), k_gettid(), sig);
    errno = e;
}

void signals_init(void)
{
    struct sigaction mine;
    our_action(&mine);
    for (int i = 0; i < NMANAGED; i++) {
        struct sigaction old;
        if (real_sigaction()(managed[i], &mine, &old) != 0)
            continue;
        if (old.sa_handler != SIG_DFL) /* ignored, or a handler already */
            real_sigaction()(managed[i], &old, NULL);
        else
            set_view(i, &old);
    }
}

EXPORT int sigaction(int sig, const struct sigaction *act,
                     struct sigaction *old)
{
    int i = managed_index(sig);
    if (i < 0 || !collector_active())
        return real_sigaction()(sig, act, old);
    struct sigaction prev, seen;
    get_view(i, &seen);
    int r;
    if (act && act->sa_handler == SIG_DFL) {
        struct sigaction mine;
        our_action(&mine);
        r = real_sigaction()(sig, &mine, &prev);
        if (r == 0)
            set_view(i, act);
    } else
        r = real_sigaction()(sig, act, &prev);
    if (r == 0 && old)
        *old = is_ours(&prev) ? seen : prev;
    return r;
}

EXPORT handler_fn signal(int sig, handler_fn h)
{
    if (managed_index(sig) < 0 || !collector_active())
        return real_signal()(sig, h);
    if (h == SIG_DFL) {
        struct sigaction a, o;
        m_zero(&a, sizeof a);
        a.sa_handler = SIG_DFL;
        a.sa_flags = SA_RESTART;
        if (sigaction(sig, &a, &o) != 0)
            return SIG_ERR;
        return o.sa_handler;
    }
    /* glibc's own signal() keeps its siginterrupt() flags: let it. */
    handler_fn r = real_signal()(sig, h);
    return handler_is_ours(r) ? SIG_DFL : r;
}

EXPORT handler_fn sigset(int sig, handler_fn h)
{
    int i = managed_index(sig);
    if (i < 0 || !collector_active())
        return real_sigset()(sig, h);
    handler_fn r = real_sigset()(sig, h);
    if (r != SIG_ERR && h == SIG_DFL) {
        struct sigaction mine, prev;
        our_action(&mine);
        if (real_sigaction()(sig, &mine, &prev) == 0)
            view[i].flags = 0, view[i].mask = 0;
    }
    return handler_is_ours(r) ? SIG_DFL : r;
}
